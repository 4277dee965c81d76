! test_fortran.f90 - the Fortran module (src/fortran/ebench.f90) built with
! gfortran: a window, its work, the results, the JSON report, an error code.
program test_fortran
  use ebench
  use, intrinsic :: iso_c_binding, only: c_double
  implicit none
  type(ebench_t) :: bench
  integer :: stat, i, unit
  logical :: there
  real(c_double) :: x
  character(len=256) :: line

  call ebench_open(bench)
  call ebench_begin(bench, "solver")
  x = 0
  do i = 1, 2000000
    x = x + sqrt(real(i, c_double))
  end do
  call ebench_end(bench, "solver")
  call ebench_add_work(bench, "solver", 2.0d6, "flop")
  call ebench_add_work(bench, "solver", 64, "sample") ! an integer amount
  call ebench_add_work(bench, "solver", 1.5, "token") ! a default real
  call ebench_print_results(bench)
  call ebench_save_json(bench, "test_fortran.json")
  inquire (file="test_fortran.json", exist=there)
  if (.not. there) error stop "no JSON report"
  open (newunit=unit, file="test_fortran.json", action="read")
  there = .false.
  do
    read (unit, '(a)', iostat=stat) line
    if (stat /= 0) exit
    if (index(line, '"solver"') > 0) there = .true.
  end do
  close (unit, status="delete")
  if (.not. there) error stop "the window is not in the report"

  ! a window never begun: a negative eb_error, named
  call ebench_end(bench, "never begun", stat)
  if (stat >= 0) error stop "ebench_end of a window never begun succeeded"
  if (ebench_strerror(stat) /= "no open window with that name") error stop "wrong message"
  ! opening an open bench would lose its windows: refused
  call ebench_open(bench, stat)
  if (stat /= EB_EINVAL) error stop "a second ebench_open was not refused"
  call ebench_close(bench)
  call ebench_begin(bench, "after close", stat)
  if (stat >= 0) error stop "a window on a closed bench began"
  print '(a,f0.1)', "Fortran module: ok ", x
end program test_fortran
