/* snare's entry point (placeholder until the coordinator lands). */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "snare: not built yet\n");
	return 1;
}
