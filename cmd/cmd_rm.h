#ifndef QS_CMD_RM_H
#define QS_CMD_RM_H

/*
 * What rm and unexpire share (cmd_rm.c, cmd_unexpire.c).
 */

/**
 * cmd_rm_each(argc, argv, sub, unexpire):
 * The shared body of rm and unexpire: parse the common options, open STORE
 * and expire (or, with ${unexpire}, bring back) each NAME; the exit code.
 */
int cmd_rm_each(int, char **, const char *, int);

#endif /* !QS_CMD_RM_H */
