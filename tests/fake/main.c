/* main.c: placeholder until the fake server lands. */
int main(void);
int
main(void)
{
	return 1;
}
