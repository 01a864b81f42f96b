/* main.c - placeholder until the daemon lands. */
#include "pres.h"
#include <stdio.h>
int main(void) { puts("presenced"); return 0; }
