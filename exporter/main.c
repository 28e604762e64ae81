/* main.c: placeholder until the exporter lands. */
int main(void);
int
main(void)
{
	return 1;
}
