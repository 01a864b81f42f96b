#include <check.h>
#include <stdlib.h>
#include "presence/presence.h"
int main(void) { return 0; }
