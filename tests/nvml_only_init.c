/* A library that exports nvmlInit and nothing else: the backend must refuse
 * it with a reason, not crash. */
int nvmlInit(void);

__attribute__((visibility("default"))) int nvmlInit(void)
{
    return 0;
}
