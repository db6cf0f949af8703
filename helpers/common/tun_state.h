/* The record of the host-wide rp_filter values a TUN helper (snare-tun,
 * snare-redirector) changes, kept in a root-owned 0600 file under
 * /run/snare, one per network namespace, so that it outlives a helper
 * killed with SIGKILL: the next helper to start restores the values, or
 * refuses to start naming the file and the fix.  Trusts the file only when
 * it is ours (owner, mode, no symlink) and well formed. */
#ifndef SNARE_HELPERS_COMMON_TUN_STATE_H
#define SNARE_HELPERS_COMMON_TUN_STATE_H

#include <net/if.h>
#include <stddef.h>

#define TUN_STATE_DIR "/run/snare"
#define TUN_RAISE_MAX 64 /* other interfaces whose rp_filter we raise */
#define TUN_STATE_MAX (TUN_RAISE_MAX + 2)

/* One rp_filter value: of `all` or `default` (ifindex 0) or of a link. */
struct tun_conf_change {
	int ifindex;
	char name[IFNAMSIZ];
	int old, set;
};

struct tun_state_rec {
	struct tun_conf_change c[TUN_STATE_MAX];
	size_t n;
};

/* Before the sandbox: opens (creating it and /run/snare when missing) this
 * network namespace's file, named after netns_id (letters and digits).
 * When no live helper holds a share of it and it is not empty, helpers died
 * with their changes made: *stale gets them and the result is 1 (the caller
 * restores, then tun_state_release).  0: nothing to restore.  A negative
 * code with one line in err: a file that is not ours or not well formed
 * (the helper refuses to start).  When /run/snare is out of reach (no
 * root), 0 too, and tun_state_claim says why. */
int tun_state_open(const char *netns_id, struct tun_state_rec *stale, char *err, size_t errlen);

/* Takes a share of the record: this helper has a device that needs the
 * recorded values as they are set.  Held until tun_state_leave. */
int tun_state_use(void);

/* One helper at a time changes the values: 0 with the writer's lock, or a
 * negative code with one line in err (no record file).  Then
 * tun_state_save before changing anything, and tun_state_unclaim. */
int tun_state_claim(char *err, size_t errlen);
void tun_state_unclaim(void);

/* Writes r: 0 or -errno. */
int tun_state_save(const struct tun_state_rec *r);

/* Gives the share back.  1 when we were the last one and the record is not
 * empty: *rec gets it, and the caller restores, then tun_state_release (or
 * tun_state_unlock to keep it for the next helper).  0: nothing to do; a
 * negative code with one line in err. */
int tun_state_leave(struct tun_state_rec *rec, char *err, size_t errlen);

/* Empties the record and lets it go (the values are back). */
void tun_state_release(void);
/* Lets it go as it is. */
void tun_state_unlock(void);

/* The file's path, for messages. */
const char *tun_state_path(void);

#endif
