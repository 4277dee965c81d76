! ebench.f90 - libebench for Fortran, through ISO_C_BINDING: a bench, named
! windows, work done, the results printed or saved as JSON.
!
!   use ebench
!   type(ebench_t) :: bench
!   call ebench_open(bench)
!   call ebench_begin(bench, "solver")
!   ...                                        ! the code to measure
!   call ebench_end(bench, "solver")
!   call ebench_add_work(bench, "solver", 2.0d12, "flop")
!   call ebench_print_results(bench)
!   call ebench_save_json(bench, "run.json")
!   call ebench_close(bench)
!
! Every call takes an optional integer `stat`: 0, or a negative eb_error
! (ebench_strerror names it). Without `stat`, a failure stops the program
! with the reason. Build: gfortran -I<prefix>/include app.f90
! -lebench_fortran $(pkg-config --libs ebench).
module ebench
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit, output_unit
  implicit none
  private

  public :: ebench_t, ebench_open, ebench_close, ebench_begin, ebench_end, ebench_add_work, &
            ebench_print_results, ebench_save_json, ebench_strerror

  integer, parameter, public :: EB_OK = 0
  integer, parameter, public :: EB_EINVAL = -1

  ! work as double, default real or integer
  interface ebench_add_work
    module procedure add_work_double, add_work_real, add_work_int, add_work_int8
  end interface ebench_add_work

  type :: ebench_t
    type(c_ptr) :: handle = c_null_ptr
  end type ebench_t

  type(c_ptr), save :: c_stdout = c_null_ptr

  interface
    integer(c_int) function c_eb_open(out, cfg) bind(C, name="eb_open")
      import :: c_ptr, c_int
      type(c_ptr), intent(out) :: out
      type(c_ptr), value :: cfg
    end function c_eb_open
    subroutine c_eb_close(b) bind(C, name="eb_close")
      import :: c_ptr
      type(c_ptr), value :: b
    end subroutine c_eb_close
    integer(c_int) function c_eb_begin(b, name) bind(C, name="eb_begin")
      import :: c_ptr, c_int, c_char
      type(c_ptr), value :: b
      character(kind=c_char), dimension(*), intent(in) :: name
    end function c_eb_begin
    integer(c_int) function c_eb_end(b, name, res) bind(C, name="eb_end")
      import :: c_ptr, c_int, c_char
      type(c_ptr), value :: b
      character(kind=c_char), dimension(*), intent(in) :: name
      type(c_ptr), value :: res
    end function c_eb_end
    integer(c_int) function c_eb_add_work(b, name, amount, unit) bind(C, name="eb_add_work")
      import :: c_ptr, c_int, c_char, c_double
      type(c_ptr), value :: b
      character(kind=c_char), dimension(*), intent(in) :: name
      real(c_double), value :: amount
      character(kind=c_char), dimension(*), intent(in) :: unit
    end function c_eb_add_work
    integer(c_int) function c_eb_print_results(b, f) bind(C, name="eb_print_results")
      import :: c_ptr, c_int
      type(c_ptr), value :: b, f
    end function c_eb_print_results
    integer(c_int) function c_eb_save_json(b, path, meta) bind(C, name="eb_save_json")
      import :: c_ptr, c_int, c_char
      type(c_ptr), value :: b
      character(kind=c_char), dimension(*), intent(in) :: path
      type(c_ptr), value :: meta
    end function c_eb_save_json
    type(c_ptr) function c_eb_strerror(code) bind(C, name="eb_strerror")
      import :: c_ptr, c_int
      integer(c_int), value :: code
    end function c_eb_strerror
    type(c_ptr) function c_eb_last_detail(b) bind(C, name="eb_last_detail")
      import :: c_ptr
      type(c_ptr), value :: b
    end function c_eb_last_detail
    type(c_ptr) function c_fdopen(fd, mode) bind(C, name="fdopen")
      import :: c_ptr, c_int, c_char
      integer(c_int), value :: fd
      character(kind=c_char), dimension(*), intent(in) :: mode
    end function c_fdopen
    integer(c_int) function c_fflush(f) bind(C, name="fflush")
      import :: c_ptr, c_int
      type(c_ptr), value :: f
    end function c_fflush
    integer(c_size_t) function c_strlen(s) bind(C, name="strlen")
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
    end function c_strlen
  end interface

contains

  ! A C string as a Fortran one.
  function from_c(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    if (.not. c_associated(p)) then
      s = ""
      return
    end if
    n = int(c_strlen(p))
    call c_f_pointer(p, chars, [n])
    allocate (character(len=n) :: s)
    do i = 1, n
      s(i:i) = chars(i)
    end do
  end function from_c

  ! The message of an eb_error code ("no open window with that name").
  function ebench_strerror(code) result(msg)
    integer, intent(in) :: code
    character(len=:), allocatable :: msg
    msg = from_c(c_eb_strerror(int(code, c_int)))
  end function ebench_strerror

  ! rc into stat, or a stop naming the call and the reason.
  subroutine done(b, call, rc, stat)
    type(ebench_t), intent(in) :: b
    character(len=*), intent(in) :: call
    integer(c_int), intent(in) :: rc
    integer, intent(out), optional :: stat
    character(len=:), allocatable :: why
    if (present(stat)) then
      stat = int(rc)
      return
    end if
    if (rc == EB_OK) return
    why = ""
    if (c_associated(b%handle)) why = from_c(c_eb_last_detail(b%handle))
    if (.not. c_associated(b%handle) .and. call /= "ebench_open") &
      why = "the bench is not open (ebench_open first)"
    if (len(why) == 0) why = ebench_strerror(int(rc))
    write (error_unit, '(a)') "ebench: "//call//": "//why
    error stop 1
  end subroutine done

  subroutine ebench_open(b, stat)
    type(ebench_t), intent(inout) :: b
    integer, intent(out), optional :: stat
    if (c_associated(b%handle)) then ! its windows would be lost
      if (present(stat)) then
        stat = EB_EINVAL
        return
      end if
      write (error_unit, '(a)') "ebench: ebench_open: this bench is open already "// &
        "(ebench_close it first)"
      error stop 1
    end if
    call done(b, "ebench_open", c_eb_open(b%handle, c_null_ptr), stat)
  end subroutine ebench_open

  subroutine ebench_close(b)
    type(ebench_t), intent(inout) :: b
    if (c_associated(b%handle)) call c_eb_close(b%handle)
    b%handle = c_null_ptr
  end subroutine ebench_close

  subroutine ebench_begin(b, name, stat)
    type(ebench_t), intent(in) :: b
    character(len=*), intent(in) :: name
    integer, intent(out), optional :: stat
    call done(b, "ebench_begin", c_eb_begin(b%handle, trim(name)//c_null_char), stat)
  end subroutine ebench_begin

  subroutine ebench_end(b, name, stat)
    type(ebench_t), intent(in) :: b
    character(len=*), intent(in) :: name
    integer, intent(out), optional :: stat
    call done(b, "ebench_end", c_eb_end(b%handle, trim(name)//c_null_char, c_null_ptr), stat)
  end subroutine ebench_end

  subroutine add_work_double(b, name, amount, unit, stat)
    type(ebench_t), intent(in) :: b
    character(len=*), intent(in) :: name, unit
    real(c_double), intent(in) :: amount
    integer, intent(out), optional :: stat
    call done(b, "ebench_add_work", &
              c_eb_add_work(b%handle, trim(name)//c_null_char, amount, trim(unit)//c_null_char), &
              stat)
  end subroutine add_work_double

  subroutine add_work_real(b, name, amount, unit, stat)
    type(ebench_t), intent(in) :: b
    character(len=*), intent(in) :: name, unit
    real, intent(in) :: amount
    integer, intent(out), optional :: stat
    call add_work_double(b, name, real(amount, c_double), unit, stat)
  end subroutine add_work_real

  subroutine add_work_int(b, name, amount, unit, stat)
    type(ebench_t), intent(in) :: b
    character(len=*), intent(in) :: name, unit
    integer, intent(in) :: amount
    integer, intent(out), optional :: stat
    call add_work_double(b, name, real(amount, c_double), unit, stat)
  end subroutine add_work_int

  subroutine add_work_int8(b, name, amount, unit, stat)
    type(ebench_t), intent(in) :: b
    character(len=*), intent(in) :: name, unit
    integer(c_long_long), intent(in) :: amount
    integer, intent(out), optional :: stat
    call add_work_double(b, name, real(amount, c_double), unit, stat)
  end subroutine add_work_int8

  ! To standard output, after what Fortran has written there.
  subroutine ebench_print_results(b, stat)
    type(ebench_t), intent(in) :: b
    integer, intent(out), optional :: stat
    integer(c_int) :: rc, ignored
    flush (output_unit)
    if (.not. c_associated(c_stdout)) c_stdout = c_fdopen(1_c_int, "w"//c_null_char)
    rc = c_eb_print_results(b%handle, c_stdout)
    ignored = c_fflush(c_stdout)
    call done(b, "ebench_print_results", rc, stat)
  end subroutine ebench_print_results

  subroutine ebench_save_json(b, path, stat)
    type(ebench_t), intent(in) :: b
    character(len=*), intent(in) :: path
    integer, intent(out), optional :: stat
    call done(b, "ebench_save_json", c_eb_save_json(b%handle, trim(path)//c_null_char, c_null_ptr), &
              stat)
  end subroutine ebench_save_json

end module ebench
