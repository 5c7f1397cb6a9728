// Implementation follows in the next commit.
#include "fix/fix_shim.h"
