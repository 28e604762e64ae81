/* main.c: placeholder until the plugin lands. */
#include <stdio.h>
int main(void);
int
main(void)
{
	puts("SMTP PORTS UNKNOWN - not built yet");
	return 3;
}
