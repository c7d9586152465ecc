/*
 * mail-scan --front SCRIPT [ARG ...]: proxsmtpd's FilterCommand for the
 * clean path (mail-scan(1) FRONT).  mail-scan does the first step of
 * share/mailav-receive or mailav-send itself, as the script would run it,
 * and sends a clean message on; anything else is handed to the script,
 * which finds the temporary files and the fields already made.
 */
#ifndef FRONT_H
#define FRONT_H

#include "pipe.h"

/*
 * Before the options are read: with --front as the first argument, make
 * the script's temporary files and put the options its first mail-scan
 * run would get into *argc and *argv.  Without it, nothing happens.
 */
void front_start(int *argc, char ***argv);
/* After pipe_start(): from here a signal is handed to the script too. */
void front_armed(void);
/*
 * The end of the run: a clean message is sent and logged and mail-scan
 * exits 0; anything else execs the script.  Returns only when --front
 * was not given.
 */
void front_end(struct pipe_run *, int status);

#endif
