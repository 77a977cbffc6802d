/*
 * qsarc unexpire STORE NAME...: undo rm until clean has reclaimed the data.
 */

#include "cmd/cmd.h"
#include "cmd/cmd_rm.h"

/**
 * cmd_unexpire(argc, argv):
 * qsarc unexpire STORE NAME...
 */
int
cmd_unexpire(int argc, char **argv)
{

	return (cmd_rm_each(argc, argv, "unexpire", 1));
}
