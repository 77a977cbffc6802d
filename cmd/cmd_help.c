/*
 * The table of subcommands with their --help texts (gen_manpage.py builds
 * the man page from these), and qsarc help.
 */

#include <stdio.h>
#include <string.h>

#include "cmd/cmd_help.h"
#include "cmd/cmd_output.h"

/*
 * The --quiet and --verbose of CMD_OPTIONS_COMMON, one text for every
 * subcommand that takes them (all but alerts and help).
 */
#define HELP_QUIET_VERBOSE						\
"  -q, --quiet         no report and no progress: only errors, warnings,\n" \
"                      findings and --json output; the exit code answers\n" \
"  -v, --verbose       more detail (put, get, verify, clean; the others\n" \
"                      print as without it); not with --quiet\n"

static const struct cmd_def commands[] = {
	{ "init", cmd_init, "create a new store",
"Usage: qsarc init STORE [options]\n"
"\n"
"Create a new, empty store in the directory STORE (which must not exist or\n"
"be empty).\n"
"\n"
"Options:\n"
"  --level N           zstd compression level, 1 to 22 (default 3)\n"
"  --avg-chunk SIZE    average chunk size, a power of two from 4K to 4M\n"
"                      (default 64K; min is a quarter, max four times it)\n"
"  --container-size SIZE  target container file size (default 32M)\n"
"  --encrypt           encrypt the store (irreversible; asks for a new\n"
"                      passphrase)\n"
"  --mode internal|static  key mode of an encrypted store (default\n"
"                      internal: a new content key every rotation period)\n"
"  --rotation-days N   rotation period, 7 to 25550 days (default 30)\n"
"  --keystore-backup PATH  where the backup keystore copy goes: a new file,\n"
"                      or a directory (then DIR/STOREID.qsk); default\n"
"                      $QSARC_STATE_DIR/keys/STOREID.qsk, QSARC_STATE_DIR\n"
"                      defaulting to /var/lib/qsarc.  On any failure init\n"
"                      leaves nothing behind\n"
"  --kdf-time N, --kdf-memory SIZE  Argon2id cost (default 3 and 64M; at most\n"
"                                   10 and 1G, time x memory at most 4G)\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
"                      where the passphrase comes from (else\n"
"                      QSARC_PASSPHRASE_COMMAND, QSARC_PASSPHRASE, the\n"
"                      terminal)\n"
"  --json              {\"store\", \"store_id\", \"encrypted\", \"created\",\n"
"                      \"keystore\", \"keystore_backup\"} (the last two\n"
"                      with --encrypt)\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "put", cmd_put, "store a stream read from standard input",
"Usage: qsarc put STORE NAME [options]\n"
"\n"
"Read a stream (usually a tar stream) from standard input until end of file\n"
"and store it as NAME.  Only chunks the store does not hold yet are written.\n"
"NAME: 1 to 200 characters of letters, digits and ._+@:=,~- not starting\n"
"with '.' or '-'; an existing name is refused, and so are \"latest\" and\n"
"\"latest:...\" (they name the newest stream).  The stream becomes visible\n"
"only when all of it is safely on disk.\n"
"\n"
"Options:\n"
"  --input FILE        read FILE instead of standard input\n"
"  --no-catalog        do not scan the stream for tar members (a tar\n"
"                      stream is catalogued on the way in by default, so\n"
"                      members can be listed and restored one by one)\n"
"  --allow-truncated   store a tar stream that ends in the middle of a\n"
"                      member or without its end-of-archive blocks\n"
"                      (refused by default: its producer was probably\n"
"                      killed); other streams cannot be checked\n"
"  --allow-empty       store an empty input (0 bytes) or a tar stream with\n"
"                      no member (refused by default: the program writing\n"
"                      it probably failed, e.g. tar of a missing path)\n"
"  --progress, --no-progress  progress on stderr (default: if a terminal)\n"
"  --json              print the summary as JSON\n"
"  --threads N         worker threads (default: one per core)\n"
"  --lock-timeout S    wait at most S seconds for the store lock (60)\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
"                      for an encrypted store\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "get", cmd_get, "write a stream to standard output",
"Usage: qsarc get STORE NAME [options]\n"
"\n"
"Write the stream NAME to standard output (refused if it is a terminal).\n"
"Every chunk is checked against its id and the whole stream against its\n"
"hash; on damage qsarc stops, names the file and offset, and exits 6.\n"
"NAME \"latest\" is the newest stream (by put time; in one second the later\n"
"name; with --expired, the newest expired), \"latest:PREFIX\" the newest\n"
"whose name starts with PREFIX; the same holds for ls, diff, verify, rm,\n"
"unexpire and replicate.\n"
"\n"
"Options:\n"
"  --output FILE       write FILE instead (created only if all is well,\n"
"                      mode 0600; an existing FILE is refused)\n"
"  --force             with --output: replace an existing FILE\n"
"  --expired           read a stream that was removed but not yet cleaned\n"
"  --member PATTERN    only these tar members (repeatable): an exact path,\n"
"                      a directory (everything under it), or a pattern in\n"
"                      which * and ** also match '/'; written as a tar\n"
"                      stream, reading only the chunks that hold them\n"
"                      (a hard link brings its target along if the target\n"
"                      is not chosen)\n"
"  --extract-to DIR    with --member: extract into DIR instead, with xattrs,\n"
"                      ACLs and the holes of sparse members; as tar does, a\n"
"                      leading '/' is dropped, and a member with '..' or one\n"
"                      through a symlink from the archive is refused (named\n"
"                      on stderr) while the others are extracted, then\n"
"                      exit 9; no device nodes unless --devices\n"
"  --devices           with --extract-to: create device nodes too\n"
"  --sparse            with --extract-to: runs of zeros become holes too\n"
"                      (for tars written without tar --sparse)\n"
"  --json              on stderr (stdout carries the stream): {\"name\",\n"
"                      \"length\", \"chunks\"}; with --member the counts\n"
"                      (with --extract-to: extracted, refused, warnings)\n"
"  --progress, --no-progress, --threads N, --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "ls", cmd_ls, "list the streams of a store",
"Usage: qsarc ls STORE [NAME] [options]\n"
"\n"
"List the streams: name, ingest time (UTC), size, and the bytes this\n"
"stream added to the store when it was put.  With NAME, list the members of\n"
"that tar stream from its catalogue, in stream order (like tar -t); NAME\n"
"may be \"latest\" or \"latest:PREFIX\" (see get).\n"
"A stream deleted, moved or put back behind qsarc's back (the stream set,\n"
"spec/FORMAT.md 14) is a warning on stderr after the list, and exit 6.\n"
"\n"
"Options:\n"
"  --expired           list removed streams that clean has not reclaimed\n"
"  --long              with NAME: mode, owner, size, time, path (tar -tv)\n"
"  --sort name|time    the order of the streams: by name (the default) or\n"
"                      by put time, oldest first (in one second by name)\n"
"  --json              one JSON object: {\"streams\": [{\"name\", \"created\",\n"
"                      \"length\", \"chunks\", \"new_bytes\",\n"
"                      \"new_stored_bytes\"}]}; with NAME: {\"stream\",\n"
"                      \"members\": [{\"path\", \"type\", \"size\", \"mode\",\n"
"                      \"uid\", \"gid\", \"uname\", \"gname\", \"mtime\", \"link\",\n"
"                      \"offset\", \"end\"}], \"complete\", \"scan_end\",\n"
"                      \"message\"}\n"
"  --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "diff", cmd_diff, "compare the tar members of two streams",
"Usage: qsarc diff STORE OLD NEW [--json]\n"
"\n"
"Compare the member catalogues of two tar streams: '+ path' added in NEW,\n"
"'- path' removed, 'M path (what, ...)' changed, in path order, with every\n"
"attribute that changed: type, size, content, link, mtime, mode, owner.\n"
"content: same size, other bytes.  It is told from the chunk ids under the\n"
"member's bytes (nothing read when they match) and, where they differ, by\n"
"reading and hashing the member's bytes in both streams.  OLD and NEW may\n"
"be \"latest\" or \"latest:PREFIX\" (see get).\n"
"\n"
"Options:\n"
"  --json              {\"changes\": [{\"change\", \"path\", \"what\",\n"
"                      \"attributes\"}], \"added\", \"removed\", \"changed\"}\n"
"                      (\"what\": the attributes as the text line shows them)\n"
"  --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "find", cmd_find, "find tar members by pattern in every stream",
"Usage: qsarc find STORE PATTERN [options]\n"
"\n"
"Search the member catalogues of all live streams for the members PATTERN\n"
"chooses (as get --member does: an exact path, a directory, or a pattern\n"
"in which * and ** also match '/') and print one line for each: stream,\n"
"mtime (UTC), size, path; streams in name order, members in stream order.\n"
"Streams without a catalogue (not tar, or put --no-catalog) are skipped.\n"
"Exit 0 if a member matched, 3 if none did, 6 if a catalogue is damaged\n"
"(the other streams are still searched).\n"
"\n"
"Options:\n"
"  --prefix P          only streams whose names start with P\n"
"  --json              {\"matches\": [{\"stream\", \"path\", \"type\", \"size\",\n"
"                      \"mtime\"}], \"count\", \"streams_searched\",\n"
"                      \"streams_uncatalogued\"}\n"
"  --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "rm", cmd_rm, "expire streams (undo with unexpire until clean)",
"Usage: qsarc rm STORE NAME...\n"
"\n"
"Mark streams as expired.  Their data stays until the next 'qsarc clean';\n"
"until then 'qsarc unexpire' brings them back.  NAME \"latest\" (or\n"
"\"latest:PREFIX\") is the newest live stream (see get).\n"
"\n"
"Options:\n"
"  --json              {\"expired\": [names]}\n"
"  --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "unexpire", cmd_unexpire, "bring back streams removed with rm",
"Usage: qsarc unexpire STORE NAME...\n"
"\n"
"Undo 'qsarc rm' for streams that clean has not yet reclaimed.  NAME\n"
"\"latest\" (or \"latest:PREFIX\") is the newest expired stream by put time.\n"
"\n"
"Options:\n"
"  --json              {\"unexpired\": [names]}\n"
"  --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "stats", cmd_stats, "show the store's size and dedup ratio",
"Usage: qsarc stats STORE [options]\n"
"\n"
"Show logical bytes (sum of all live streams), unique bytes (chunk bytes\n"
"held in containers before compression), stored bytes (container files),\n"
"chunks, containers, streams, and the ratio logical / stored.\n"
"\n"
"Options:\n"
"  --json              one JSON object with the same fields\n"
"  --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "expire", cmd_expire, "expire streams by a retention policy",
"Usage: qsarc expire STORE RULE... [--prefix P] [--dry-run] [options]\n"
"\n"
"Expire streams by a retention policy, using the time each was put (never\n"
"dates from the input).  The RULEs are the --keep-* and --older-than\n"
"options below, at least one; a stream is kept if any of them keeps it,\n"
"and expired otherwise.  The counted rules follow restic's forget: going\n"
"from the newest stream, --keep-daily N keeps the newest stream of each of\n"
"the N most recent days that hold one (days without a stream do not\n"
"count), and so on for hours, ISO 8601 weeks (Monday to Sunday), months\n"
"and years, all in UTC; --keep-last N keeps the N newest.  --keep-within\n"
"AGE keeps what was put within AGE of the newest stream (so a store whose\n"
"backups stopped keeps its last ones); --older-than AGE keeps what was put\n"
"within AGE of now.  An AGE is 90d, 12h, 2w, 30m, 45s, seconds, or terms\n"
"added up, with fractions: 1h30m, 1.5d, 2w3d.  Space comes back at the\n"
"next 'qsarc clean'; until then 'qsarc unexpire' undoes it.  Nothing to\n"
"expire is not an error (exit 0) unless --fail-if-nothing is given (then\n"
"exit 8).\n"
"\n"
"Options:\n"
"  --keep-last N       keep the N newest streams\n"
"  --keep-hourly N     keep the newest stream of each of the N most recent\n"
"                      hours that hold one\n"
"  --keep-daily N      the same for days (UTC)\n"
"  --keep-weekly N     the same for ISO weeks (Monday to Sunday, UTC)\n"
"  --keep-monthly N    the same for months (UTC)\n"
"  --keep-yearly N     the same for years (UTC)\n"
"  --keep-within AGE   keep streams put at most AGE before the newest\n"
"  --older-than AGE    keep streams put at most AGE ago; expire the older\n"
"  --prefix P          only streams whose names start with P\n"
"  --dry-run           say what would be expired, and why each stream is\n"
"                      kept (\"keep NAME (daily 3, last 1)\") or would go\n"
"                      (on the line after \"would expire NAME\")\n"
"  --fail-if-nothing   exit 8 when no stream was expired\n"
"  --json              {\"dry_run\", \"expired\": [names], \"streams\":\n"
"                      [{\"name\", \"created\", \"action\", \"reason\"}]}, newest\n"
"                      first; action is keep or expire\n"
"  --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "verify", cmd_verify, "check a store for damage; rebuild its index",
"Usage: qsarc verify STORE [NAME...] [options]\n"
"\n"
"Check the store for damage and say which streams are still intact: the\n"
"config; both keystore copies (encrypted stores); every index segment;\n"
"every container's headers and trailer; that every index entry points at a\n"
"valid record in an existing container; and that every stream's manifest\n"
"(live and expired) reads back and all its chunks are in the index.  With\n"
"NAMEs (\"latest\", \"latest:PREFIX\" as for get), only those streams and\n"
"their chunks (plus config, keystores and index).  Each problem is a line\n"
"'DAMAGE KIND [stream NAME]: FILE: ...' naming the file and offset, then\n"
"one line per stream, 'intact NAME' or 'DAMAGED NAME'.  Takes the store\n"
"lock shared; single-threaded.\n"
"\n"
"Options:\n"
"  --read-data         also read every chunk: decrypt, decompress, re-hash\n"
"  --read-data-subset P  read a random P% of the chunks (1% to 100%; a\n"
"                      new choice each run)\n"
"  --rebuild-index     instead of checking, rebuild the chunk index from\n"
"                      the containers (the fix for a damaged or lost\n"
"                      index; exclusive lock; no passphrase needed; memory\n"
"                      56 bytes per chunk).  A damaged container is named\n"
"                      and its records before the damage are kept.\n"
"  --json              findings, streams (\"intact\", \"damaged\") and counts\n"
"  --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n"
"\n"
"A damaged keystore copy is rebuilt from the other with 'qsarc keystore\n"
"STORE restore --from backup|primary'.  Exit: 0 no damage, 6 damage found\n"
"(after --rebuild-index: a container was damaged), 5 wrong passphrase,\n"
"3 no such stream, 1 other errors.\n" },
	{ "clean", cmd_clean, "reclaim space, encrypt old data, retire keys",
"Usage: qsarc clean STORE [options]\n"
"\n"
"The batch job for cron.  In order: (1) reclaim the space of expired\n"
"streams and of leftovers of killed commands: containers with no live\n"
"chunk are deleted, containers with more dead bytes than the threshold are\n"
"rewritten, and manifests written by qsarc 0.1.0 are rewritten in the\n"
"current format (frames bound to their file); (2) in an encrypted store,\n"
"encrypt the data written before encryption was enabled, in batches that\n"
"fit the free space; (3) retire the content keys that no longer protect\n"
"anything, from both keystore copies (their data is gone for good).  Safe\n"
"to kill at any time: the next run finishes the work.  Takes the store\n"
"lock exclusively.\n"
"\n"
"Space: clean works on a 100% full file system.  It first deletes the\n"
"store's reserve (STORE/reserve: 1 MiB, or twice the index if larger,\n"
"made by init and by put or clean when missing and there is room), whose\n"
"space covers what it writes before it can delete anything (a new index,\n"
"the stream set), when space is short deletes dead containers before it\n"
"rewrites any, and makes the reserve again at its end.  A rewrite needs\n"
"room for its copy, else it waits for the next run.  Encrypting old data\n"
"needs room for one stream's copy at a time (about its stored size plus\n"
"1/8, and the reserve); the space comes back as the converted streams'\n"
"old data is reclaimed between them.  If a stream still does not fit,\n"
"clean encrypts what fits, raises the encryption-waiting alert and exits 10.\n"
"\n"
"Options:\n"
"  --dry-run           say what a real run would do; change nothing\n"
"  --max-duration D    stop at a safe point after D (like 2h, 1h30m or\n"
"                      1.5h); exit 7\n"
"  --rewrite-threshold P  rewrite containers more than P% dead (20)\n"
"  --progress, --json, --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n"
"\n"
"Exit: 0 done, 7 stopped by --max-duration, 10 too little free space\n"
"to encrypt all old data (see Space), 6 damage found, 1 other errors.\n" },
	{ "replicate", cmd_replicate, "copy streams to another store",
"Usage: qsarc replicate SOURCE TARGET [NAME...] [options]\n"
"\n"
"Copy the streams of SOURCE (all, or the NAMEs given) that TARGET does not\n"
"have yet (NAME \"latest\" or \"latest:PREFIX\": SOURCE's newest).  TARGET\n"
"must be an initialised store; its own settings apply to what lands there\n"
"(chunking, compression, encryption, keys): each stream is read and checked,\n"
"cut and named with TARGET's secrets, and only the chunks TARGET lacks are\n"
"written.  A stream appears on TARGET only when complete;\n"
"a killed run is continued by the next one.  A name that exists on TARGET\n"
"with other content is an error, never overwritten.  Data is encrypted on\n"
"TARGET only if TARGET is encrypted: from an encrypted SOURCE to a plain\n"
"TARGET is refused unless --allow-plaintext-target.\n"
"\n"
"Options:\n"
"  --dry-run           list what would be copied\n"
"  --source-passphrase-file F, --source-passphrase-fd N,\n"
"  --source-passphrase-command C\n"
"  --target-passphrase-file F, --target-passphrase-fd N,\n"
"  --target-passphrase-command C\n"
"                      (--passphrase-file, --passphrase-fd,\n"
"                      --passphrase-command and the environment serve a side\n"
"                      that has none of its own)\n"
"  --allow-plaintext-target  copy encrypted data into a plain store (loud)\n"
"  --progress, --json  {\"dry_run\", \"streams_copied\", \"streams_present\",\n"
"                      \"chunks_sent\", \"bytes_sent\", \"bytes_skipped\",\n"
"                      \"logical_bytes\", \"plaintext_target\", \"seconds\"}\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "encrypt", cmd_encrypt, "turn on encryption for a store (irreversible)",
"Usage: qsarc encrypt STORE [options]\n"
"\n"
"Turn on encryption at rest for an existing plain store.  This cannot be\n"
"undone.  A new passphrase is asked for (twice on a terminal).  Fresh\n"
"chunk-id and chunker secrets are made, so data written before does not\n"
"deduplicate with new data until 'qsarc clean' has encrypted it.\n"
"\n"
"Options:\n"
"  --mode internal|static  internal (default): a new content key every\n"
"                      rotation period (see 'qsarc rekey'); static: one key\n"
"  --rotation-days N   rotation period, 7 to 25550 days (default 30)\n"
"  --keystore-backup PATH  backup keystore copy: a file, or a directory\n"
"                      (then DIR/STOREID.qsk); default\n"
"                      $QSARC_STATE_DIR/keys/STOREID.qsk\n"
"  --kdf-time N, --kdf-memory SIZE  Argon2id cost (default 3 and 64M; at most\n"
"                                   10 and 1G, time x memory at most 4G)\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
"                      the new passphrase\n"
"  --lock-timeout S    wait at most S seconds for the store lock (60)\n"
"  --json              {\"store\", \"encrypted\", \"changed\", \"mode\",\n"
"                      \"keystore\", \"keystore_backup\"} (also for a store\n"
"                      already encrypted, exit 8, \"changed\": false)\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "rekey", cmd_rekey, "rotate keys, change the passphrase or key mode",
"Usage: qsarc rekey STORE [options]\n"
"\n"
"Without options (meant for a daily cron job): in internal key mode, add a\n"
"new content key if the rotation period has passed since the last one\n"
"(one key however many periods were missed), else print \"not due\";\n"
"exit 0 either way.\n"
"\n"
"Options:\n"
"  --change-passphrase re-wrap both keystore copies under a new passphrase;\n"
"                      no data is rewritten.  It does not revoke anyone who\n"
"                      already copied the keystore and knew the old\n"
"                      passphrase: use --mode for that.\n"
"  --new-passphrase-file F, --new-passphrase-fd N,\n"
"  --new-passphrase-command C  the new passphrase\n"
"  --mode internal|static  switch key mode: a fresh key, every record and\n"
"                      manifest re-encrypted under it, old keys destroyed.\n"
"                      Resumable: run the same command again after a crash.\n"
"  --rotation-days N   with --mode internal: the rotation period\n"
"  --json              without options: {\"rotated\", \"current_key\",\n"
"                      \"mode\", \"next_rotation\"} (null in static mode);\n"
"                      --change-passphrase: {\"passphrase_changed\",\n"
"                      \"generation\"}; --mode: {\"new_key_id\", \"resumed\",\n"
"                      \"containers_rewritten\", \"records_rewritten\",\n"
"                      \"bytes_rewritten\", \"manifests_rewritten\",\n"
"                      \"keys_retired\"}\n"
"  --progress, --lock-timeout S\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
"                      the current passphrase\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "keystore", cmd_keystore, "check or repair the two keystore copies",
"Usage: qsarc keystore STORE check\n"
"       qsarc keystore STORE restore --from backup|primary\n"
"\n"
"check: the primary (in the store) and backup copies are both present,\n"
"both unlock with the passphrase and have the same generation; exit 6\n"
"if not, saying which to restore from; exit 5 if neither unlocks, or if\n"
"the primary is a save ahead under another passphrase (a passphrase\n"
"change cut short: give the new one).  A backup a crash left behind the\n"
"primary is brought up to it first, as every command does.\n"
"restore: rewrite one copy from the other, which must unlock.\n"
"\n"
"Where the primary is damaged or missing and the backup unlocks, every\n"
"command goes on with the backup's keys and says so; an exclusive one\n"
"(clean, rekey) also restores the primary from it.\n"
"\n"
"Options:\n"
"  --json              check: {\"primary\": {\"path\", \"state\",\n"
"                      \"generation\"}, \"backup\": {...}, \"ok\",\n"
"                      \"restore_from\"} (also on exit 6); state: ok,\n"
"                      missing, ahead, behind, wrong_passphrase, damaged,\n"
"                      newer_version or error; restore:\n"
"                      {\"restored\", \"from\"}\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
"  --lock-timeout S\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "keys", cmd_keys, "list the content keys of an encrypted store",
"Usage: qsarc keys STORE [--json]\n"
"\n"
"List the key mode, the next rotation and each content key: id, creation\n"
"time, state, and the bytes, records and manifests it protects.\n"
"\n"
"Options:\n"
"  --json              {\"mode\", \"rotation_days\", \"next_rotation\",\n"
"                      \"keys\": [{\"id\", \"created\", \"state\", \"bytes\",\n"
"                      \"records\", \"manifests\"}], \"plain_records\",\n"
"                      \"plain_bytes\"}\n"
"  --passphrase-file F, --passphrase-fd N, --passphrase-command C\n"
"  --lock-timeout S\n"
HELP_QUIET_VERBOSE
"  --help              show this help\n" },
	{ "alerts", cmd_alerts, "e-mail alerts when a batch job needs attention",
"Usage: qsarc alerts STORE configure [settings]\n"
"       qsarc alerts STORE enable|disable|show|test|migrate\n"
"\n"
"E-mail alerts through an SMTP relay, off by default.  Once enabled, the\n"
"batch jobs (put, get, clean, rekey, replicate, verify, expire) send one\n"
"message per run when something needs attention: the job failed; damage\n"
"was found; the keystore backup copy is missing, unreadable or older than\n"
"the primary; 1000 of the 1023 content keys are used, or all of them; key\n"
"rotation is overdue (internal mode, no rotation for two periods: the\n"
"rekey cron job has stopped); the store's file system is nearly full;\n"
"clean could not encrypt old data for lack of space.  Sending never\n"
"changes what the job did or its exit code.  If the relay is down or\n"
"refuses, a warning goes to stderr and the alert is kept in the alert\n"
"log (the last 100); the next successful send includes up to 20 of them.\n"
"An alert that cannot take the alerts lock within --lock-timeout is kept\n"
"as a queued file and goes with the next send.\n"
"\n"
"The settings are the operator's, not the store's: they are kept outside\n"
"the store, in $QSARC_STATE_DIR/alerts/STOREID.conf (with the log\n"
"STOREID.log and the lock STOREID.lock; QSARC_STATE_DIR defaults to\n"
"/var/lib/qsarc), and are refused unless that file and its directory are\n"
"owned by the user running qsarc and not writable by group or others.\n"
"STORE/alerts.conf, where older versions kept them, is ignored with a\n"
"warning.\n"
"\n"
"configure: change the given settings (run it again to change more):\n"
"  --relay HOST[:PORT]  the SMTP relay (port 25 if not given)\n"
"  --sender-name TEXT   the name in the From header (default qsarc)\n"
"  --from ADDR          the sender address (envelope and From header)\n"
"  --to ADDR[,ADDR...]  recipients (To header); at least one\n"
"  --cc ADDR[,ADDR...]  copies (Cc header); \"\" clears the list\n"
"  --bcc ADDR[,ADDR...] blind copies: envelope only, never in a header\n"
"  --starttls, --no-starttls  require STARTTLS (refuse to send without)\n"
"  --auth-file F        user name (first line) and password (second line)\n"
"                       for the relay; F must be mode 0600 or stricter and\n"
"                       owned by the user; needs --starttls unless the relay\n"
"                       is a loopback address given as such (127.0.0.1,\n"
"                       [::1]; not localhost).  --no-auth-file drops it.\n"
"  --disk-threshold P   alert when the file system is P% used (95)\n"
"enable: turn alerts on; refused until relay, sender and a recipient are\n"
"        configured.\n"
"disable: turn alerts off (the settings stay).\n"
"show: the settings (never the credentials) and the unsent alerts;\n"
"      --json for {\"settings_file\", \"log_file\", \"enabled\",\n"
"      \"relay\", \"port\", \"starttls\",\n"
"      \"sender_name\", \"from\", \"to\", \"cc\", \"bcc\", \"auth_file\",\n"
"      \"disk_threshold\", \"missing\", \"unsent\": [{\"time\", \"event\",\n"
"      \"subject\"}]}.\n"
"test: send a test message now (with any unsent alerts) and say whether\n"
"      the relay accepted it; exit 1 if not.\n"
"migrate: move an old STORE/alerts.conf to the settings file, disabled\n"
"      and without its auth file (anyone who could write the store may\n"
"      have written it): review with show, then enable; refused if the\n"
"      settings file exists already.\n"
"\n"
"Options:\n"
"  --help              show this help\n" },
	{ "help", cmd_help_run, "show help for a subcommand",
"Usage: qsarc help [SUBCOMMAND]\n"
"\n"
"Without SUBCOMMAND, list the subcommands; with it, show its --help.\n" },
	{ NULL, NULL, NULL, NULL }
};

/**
 * cmd_help_find(name):
 * The subcommand called ${name}, or NULL.
 */
const struct cmd_def *
cmd_help_find(const char *name)
{

	for (const struct cmd_def *c = commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return (c);
	return (NULL);
}

/**
 * cmd_help_print(sub):
 * Print the --help text of ${sub} to stdout; return EXIT_OK.
 */
int
cmd_help_print(const char *sub)
{
	const struct cmd_def *c = cmd_help_find(sub);

	if (c != NULL)
		fputs(c->usage, stdout);
	return (EXIT_OK);
}

/**
 * cmd_help_usage(f):
 * Print the program's usage (the subcommands and exit codes) to ${f}.
 */
void
cmd_help_usage(FILE *f)
{

	fprintf(f, "Usage: qsarc SUBCOMMAND [ARGS...]\n\n"
	    "Deduplicated, compressed, optionally encrypted storage for "
	    "streams.\n\nSubcommands:\n");
	for (const struct cmd_def *c = commands; c->name != NULL; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'qsarc SUBCOMMAND --help' or 'qsarc help SUBCOMMAND' "
	    "shows the options.\n"
	    "Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 store busy,\n"
	    "5 wrong passphrase, 6 damage found, 7 stopped early, "
	    "8 nothing to do, 9 members refused, 10 no space to finish.\n");
}

/**
 * cmd_help_run(argc, argv):
 * qsarc help [SUBCOMMAND]
 */
int
cmd_help_run(int argc, char **argv)
{

	/* The help is text only: --json is refused, not ignored. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			return (cmd_output_usage("help", "--json: the help is "
			    "text only"));
	if (argc < 2) {
		cmd_help_usage(stdout);
		return (EXIT_OK);
	}
	if (strcmp(argv[1], "--help") == 0)
		return (cmd_help_print("help"));
	if (cmd_help_find(argv[1]) == NULL)
		return (cmd_output_usage("help", "unknown subcommand \"%s\"",
		    argv[1]));
	return (cmd_help_print(argv[1]));
}
