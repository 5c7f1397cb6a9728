/* Placeholder until the CLI lands (next commit). */
#include <stdio.h>
int main(void)
{
    puts("fixbridge " FB_VERSION);
    return 0;
}
