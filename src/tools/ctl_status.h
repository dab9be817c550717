/*
 * ctl_status.h - jackmixctl status (the console on one screen) and the
 * live meters table; see ctl_status.c.
 */
#ifndef JMX_CTL_STATUS_H
#define JMX_CTL_STATUS_H

/* The screen's width: the terminal's (stdout), else $COLUMNS, else 80. */
unsigned ctl_status_width(void);

/* Query the daemon and print one screen; exit status as main's. */
int ctl_status_run(void);

/* Subscribe to values and meters (under prefix, NULL: all) and redraw the
 * screen in place 10 times a second until interrupted, or count times
 * (count > 0); exit status as main's. */
int ctl_status_live(const char *prefix, long count);

#endif
