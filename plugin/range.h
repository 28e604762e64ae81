/*
 * range.h: Nagios threshold ranges, as the Monitoring Plugins Development
 * Guidelines define them ("Threshold and ranges"):
 *
 *	10	alert if < 0 or > 10	(start 0, end 10)
 *	10:	alert if < 10		(end is +infinity)
 *	~:10	alert if > 10		(start is -infinity)
 *	10:20	alert if < 10 or > 20
 *	@10:20	alert if >= 10 and <= 20 (inside, bounds included)
 *
 * Decimals and negative numbers are allowed; start must be <= end.
 */
#ifndef PLUGIN_RANGE_H
#define PLUGIN_RANGE_H

#define RANGE_TEXT_MAX	64

struct range {
	int	set;		/* 0: no threshold (never alerts) */
	int	start_inf;	/* start is -infinity ("~") */
	int	end_inf;	/* end is +infinity (nothing after ':') */
	int	inside;		/* '@': alert inside the range */
	double	start;
	double	end;
	char	text[RANGE_TEXT_MAX];	/* as given, for perfdata */
};

/*
 * Parse s into r.  Returns 0, or -1 with a one-line reason in err
 * ("bad range 'x': ...").  r is zeroed (unset) on failure.
 */
int	 range_parse(const char *s, struct range *r, char *err, size_t errlen);

/* 1 if value must alert under r, 0 if not (an unset range never alerts). */
int	 range_alert(const struct range *r, double value);

#endif
