/*
 * check_plugin_statefile.c: the plugin's state file (plugin/statefile.c):
 * parsing and its rejections, in-memory transitions, atomic save and
 * reload, corrupt and hostile files, an unwritable directory, the lock,
 * and concurrent writers that must not lose each other's updates.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suite.h"
#include "smtpprobe.h"
#include "statefile.h"

static char	 dir[64];
static char	 path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_statefile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
}

static void
teardown(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void
write_file(const char *p, const char *text, size_t len)
{
	FILE	*fp = fopen(p, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

START_TEST(test_statefile_parse_good)
{
	static const char text[] = STATEFILE_HEADER "\n"
	    "# comment\n"
	    "\n"
	    "mail.example.org/587\t1800000000\t1800000001\n"
	    "mail.example.org/25@2001:db8::1\t0\t1700000000\n";
	struct statefile		 sf;
	const struct statefile_entry	*e;
	char				 err[128];

	statefile_init(&sf);
	ck_assert_int_eq(statefile_parse(text, sizeof(text) - 1, &sf, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(sf.n, 2);
	ck_assert_ptr_nonnull(e = statefile_find(&sf, "mail.example.org/587"));
	ck_assert_int_eq(e->last_starttls, 1800000000);
	ck_assert_int_eq(e->last_answered, 1800000001);
	ck_assert_ptr_nonnull(e = statefile_find(&sf,
	    "mail.example.org/25@2001:db8::1"));
	ck_assert_int_eq(e->last_starttls, 0);
	ck_assert_ptr_null(statefile_find(&sf, "mail.example.org/465"));
	/* empty file: empty state */
	ck_assert_int_eq(statefile_parse("", 0, &sf, err, sizeof(err)), 0);
	ck_assert_uint_eq(sf.n, 0);
	statefile_free(&sf);
}
END_TEST

static const char *const corrupt[] = {
	"garbage\n",
	"# check_smtp_ports state 2\nh/1\t1\t1\n",
	STATEFILE_HEADER "\nh/1\t1\n",
	STATEFILE_HEADER "\nh/1\t1\t1\t1\n",
	STATEFILE_HEADER "\nh/1\tx\t1\n",
	STATEFILE_HEADER "\nh/1\t-1\t1\n",
	STATEFILE_HEADER "\nh/1\t1\t99999999999999999999999\n",
	STATEFILE_HEADER "\nh 1\t1\t1\n",
	STATEFILE_HEADER "\n\t1\t1\n",
	STATEFILE_HEADER "\nh/1\t1\t1\nh/1\t2\t2\n",	/* duplicate */
	STATEFILE_HEADER "\nh|1\t1\t1\n",
	STATEFILE_HEADER "\nh/1\t1\t1\r\n",
};

START_TEST(test_statefile_parse_corrupt)
{
	struct statefile	 sf;
	char			 err[128];

	statefile_init(&sf);
	err[0] = '\0';
	ck_assert_int_eq(statefile_parse(corrupt[_i], strlen(corrupt[_i]),
	    &sf, err, sizeof(err)), -1);
	ck_assert_uint_eq(sf.n, 0);
	ck_assert(err[0] != '\0');
	statefile_free(&sf);
}
END_TEST

START_TEST(test_statefile_too_many)
{
	struct statefile	 sf;
	char			*text, err[128];
	size_t			 len = 0;
	size_t			 cap = 64 * (STATEFILE_MAX_ENTRIES + 2);
	int			 i;

	ck_assert_ptr_nonnull(text = malloc(cap));
	len += (size_t)snprintf(text, cap, "%s\n", STATEFILE_HEADER);
	for (i = 0; i <= STATEFILE_MAX_ENTRIES; i++)
		len += (size_t)snprintf(text + len, cap - len, "h/%d\t1\t1\n",
		    i);
	statefile_init(&sf);
	ck_assert_int_eq(statefile_parse(text, len, &sf, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than"));
	statefile_free(&sf);
	free(text);
}
END_TEST

START_TEST(test_statefile_key)
{
	char	 key[STATEFILE_KEY_MAX];

	ck_assert_str_eq(statefile_key(key, sizeof(key), "mail.example.org",
	    587, NULL), "mail.example.org/587");
	ck_assert_str_eq(statefile_key(key, sizeof(key), "mx.example.org", 25,
	    "2001:db8::25"), "mx.example.org/25@2001:db8::25");
	ck_assert_str_eq(statefile_key(key, sizeof(key), "a b\tc|d\n", 25,
	    ""), "a_b_c_d_/25");
}
END_TEST

START_TEST(test_statefile_apply)
{
	struct statefile		 sf;
	struct statefile_update		 u;
	const struct statefile_entry	*e;

	statefile_init(&sf);
	memset(&u, 0, sizeof(u));
	snprintf(u.key, sizeof(u.key), "h/587");
	/* nothing observed, nothing known: nothing stored */
	ck_assert_int_eq(statefile_apply(&sf, &u), 0);
	ck_assert_uint_eq(sf.n, 0);
	/* STARTTLS seen and answered */
	u.starttls_seen = 100;
	u.answered = 100;
	ck_assert_int_eq(statefile_apply(&sf, &u), 0);
	ck_assert_ptr_nonnull(e = statefile_find(&sf, "h/587"));
	ck_assert_int_eq(e->last_starttls, 100);
	/* answered without STARTTLS: the STARTTLS time stays (the latch) */
	u.starttls_seen = 0;
	u.answered = 200;
	ck_assert_int_eq(statefile_apply(&sf, &u), 0);
	ck_assert_int_eq(e->last_starttls, 100);
	ck_assert_int_eq(e->last_answered, 200);
	/* unanswered: both stay */
	u.answered = 0;
	ck_assert_int_eq(statefile_apply(&sf, &u), 0);
	ck_assert_ptr_nonnull(e = statefile_find(&sf, "h/587"));
	ck_assert_int_eq(e->last_answered, 200);
	/* reset, then what was seen now */
	u.reset = 1;
	u.answered = 300;
	ck_assert_int_eq(statefile_apply(&sf, &u), 0);
	ck_assert_ptr_nonnull(e = statefile_find(&sf, "h/587"));
	ck_assert_int_eq(e->last_starttls, 0);
	ck_assert_int_eq(e->last_answered, 300);
	/* reset with nothing seen: the key goes */
	u.answered = 0;
	ck_assert_int_eq(statefile_apply(&sf, &u), 0);
	ck_assert_ptr_null(statefile_find(&sf, "h/587"));
	ck_assert_uint_eq(sf.n, 0);
	statefile_free(&sf);
}
END_TEST

START_TEST(test_statefile_save_load)
{
	struct statefile		 sf;
	struct statefile_update		 u[2];
	const struct statefile_entry	*e;
	char				 err[256], note[256];
	struct stat			 st;

	setup();
	memset(u, 0, sizeof(u));
	snprintf(u[0].key, sizeof(u[0].key), "h/587");
	u[0].starttls_seen = u[0].answered = 1000;
	snprintf(u[1].key, sizeof(u[1].key), "h/25");
	u[1].answered = 1001;
	statefile_init(&sf);
	/* missing file: empty, no error */
	ck_assert_int_eq(statefile_load(path, &sf, err, sizeof(err)), 0);
	ck_assert_uint_eq(sf.n, 0);
	ck_assert_int_eq(statefile_save(path, u, 2, smtpprobe_now() + 1000000,
	    note, sizeof(note), err, sizeof(err)), 0);
	ck_assert_str_eq(note, "");
	ck_assert_int_eq(statefile_load(path, &sf, err, sizeof(err)), 0);
	ck_assert_uint_eq(sf.n, 2);
	ck_assert_ptr_nonnull(e = statefile_find(&sf, "h/25"));
	ck_assert_int_eq(e->last_answered, 1001);
	/* private, and no temp file left behind */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 077, 0);
	{
		char	 cmd[160];
		FILE	*fp;
		int	 n = -1;

		snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c tmp", dir);
		ck_assert_ptr_nonnull(fp = popen(cmd, "r"));
		ck_assert_int_eq(fscanf(fp, "%d", &n), 1);
		pclose(fp);
		ck_assert_int_eq(n, 0);
	}
	statefile_free(&sf);
	teardown();
}
END_TEST

START_TEST(test_statefile_corrupt_file)
{
	struct statefile		 sf;
	struct statefile_update		 u;
	char				 err[256], note[256];

	setup();
	write_file(path, "\x00\xff garbage|", 11);
	statefile_init(&sf);
	ck_assert_int_eq(statefile_load(path, &sf, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "corrupt"));
	ck_assert_ptr_null(strchr(err, '\n'));
	memset(&u, 0, sizeof(u));
	snprintf(u.key, sizeof(u.key), "h/587");
	u.answered = 5;
	ck_assert_int_eq(statefile_save(path, &u, 1, smtpprobe_now() + 1000000,
	    note, sizeof(note), err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(note, "replaced"));
	ck_assert_int_eq(statefile_load(path, &sf, err, sizeof(err)), 0);
	ck_assert_uint_eq(sf.n, 1);
	statefile_free(&sf);
	teardown();
}
END_TEST

/* A FIFO, a directory or a huge file is refused at once, never read. */
START_TEST(test_statefile_hostile_files)
{
	struct statefile	 sf;
	char			 err[256];
	int			 fd;

	setup();
	statefile_init(&sf);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(statefile_load(path, &sf, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	unlink(path);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(statefile_load(path, &sf, err, sizeof(err)), -1);
	rmdir(path);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	ck_assert_int_eq(ftruncate(fd, STATEFILE_MAX_BYTES + 1), 0);
	close(fd);
	ck_assert_int_eq(statefile_load(path, &sf, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "larger than"));
	statefile_free(&sf);
	teardown();
}
END_TEST

START_TEST(test_statefile_unwritable)
{
	struct statefile_update	 u;
	char			 err[256], note[256];

	memset(&u, 0, sizeof(u));
	snprintf(u.key, sizeof(u.key), "h/587");
	u.answered = 5;
	err[0] = '\0';
	ck_assert_int_eq(statefile_save("/nonexistent-dir/state", &u, 1,
	    smtpprobe_now() + 1000000, note, sizeof(note), err, sizeof(err)),
	    -1);
	ck_assert(err[0] != '\0');
}
END_TEST

/* Someone holds the lock: give up by the deadline, file unchanged. */
START_TEST(test_statefile_lock_timeout)
{
	struct statefile_update	 u;
	char			 lock[160], err[256], note[256];
	int			 fd;
	int64_t			 t0;

	setup();
	snprintf(lock, sizeof(lock), "%s.lock", path);
	ck_assert_int_ne(fd = open(lock, O_CREAT | O_RDWR, 0600), -1);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	if (fork() == 0) {
		memset(&u, 0, sizeof(u));
		snprintf(u.key, sizeof(u.key), "h/587");
		u.answered = 5;
		t0 = smtpprobe_now();
		if (statefile_save(path, &u, 1, t0 + 100000, note,
		    sizeof(note), err, sizeof(err)) != -1)
			_exit(1);
		if (smtpprobe_now() - t0 > 1000000)
			_exit(2);
		_exit(strstr(err, "cannot lock") != NULL ? 0 : 3);
	}
	{
		int st;

		ck_assert_int_ne(wait(&st), -1);
		ck_assert_int_eq(WEXITSTATUS(st), 0);
	}
	ck_assert_int_eq(access(path, F_OK), -1);
	close(fd);
	teardown();
}
END_TEST

/* Concurrent runs for different ports: nobody's update is lost. */
START_TEST(test_statefile_concurrent)
{
	struct statefile	 sf;
	char			 err[256], note[256];
	int			 w, k, st;

	setup();
	for (w = 0; w < 6; w++) {
		if (fork() != 0)
			continue;
		for (k = 0; k < 25; k++) {
			struct statefile_update u;

			memset(&u, 0, sizeof(u));
			snprintf(u.key, sizeof(u.key), "w%d/%d", w, k + 1);
			u.answered = 1000 + k;
			if (statefile_save(path, &u, 1,
			    smtpprobe_now() + 10000000, note, sizeof(note),
			    err, sizeof(err)) == -1 || note[0] != '\0')
				_exit(1);
		}
		_exit(0);
	}
	for (w = 0; w < 6; w++) {
		ck_assert_int_ne(wait(&st), -1);
		ck_assert_int_eq(WEXITSTATUS(st), 0);
	}
	statefile_init(&sf);
	ck_assert_int_eq(statefile_load(path, &sf, err, sizeof(err)), 0);
	ck_assert_uint_eq(sf.n, 6 * 25);
	statefile_free(&sf);
	teardown();
}
END_TEST

static Suite *
plugin_statefile_suite(void)
{
	Suite	*s = suite_create("plugin_statefile");
	TCase	*tc = tcase_create("statefile");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_statefile_parse_good);
	tcase_add_loop_test(tc, test_statefile_parse_corrupt, 0,
	    (int)(sizeof(corrupt) / sizeof(corrupt[0])));
	tcase_add_test(tc, test_statefile_too_many);
	tcase_add_test(tc, test_statefile_key);
	tcase_add_test(tc, test_statefile_apply);
	tcase_add_test(tc, test_statefile_save_load);
	tcase_add_test(tc, test_statefile_corrupt_file);
	tcase_add_test(tc, test_statefile_hostile_files);
	tcase_add_test(tc, test_statefile_unwritable);
	tcase_add_test(tc, test_statefile_lock_timeout);
	tcase_add_test(tc, test_statefile_concurrent);
	suite_add_tcase(s, tc);
	return s;
}
CHECK_SUITE(plugin_statefile_suite)
