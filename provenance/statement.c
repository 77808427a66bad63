#include "statement.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "procinfo.h"
#include "util.h"

/* Names whose values are masked, matched as substrings, case-insensitively. */
static const char *const secret_words[] = { "TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY",
					     "CREDENTIAL", "AUTH" };

int statement_name_is_secret(const char *name)
{
	for (size_t w = 0; w < sizeof(secret_words) / sizeof(secret_words[0]); w++) {
		size_t wl = strlen(secret_words[w]);

		for (const char *p = name; *p; p++) {
			/* (AUTH, not AUTHOR: GIT_AUTHOR_DATE is a build's input) */
			if (!strncasecmp(p, secret_words[w], wl) &&
			    !(!strcmp(secret_words[w], "AUTH") && !strncasecmp(p + wl, "OR", 2)))
				return 1;
		}
	}
	return 0;
}

char *statement_mask_url_secrets(const char *value)
{
	size_t len = strlen(value);
	/* (a mask may be longer than what it hides, a one-letter token: each
	 * scheme separator is 3 bytes of the value and adds 2 at most) */
	char *out = malloc(len + len + 4), *o = out;
	const char *p = value;

	if (!out)
		return NULL;
	while (*p) {
		const char *sep = strstr(p, "://"), *start, *end, *colon;

		if (!sep) {
			break;
		}
		start = sep + 3;
		end = start + strcspn(start, "@/?# \t\n");
		memcpy(o, p, (size_t)(start - p));
		o += start - p;
		p = start;
		if (*end != '@' || end == start)
			continue;
		/* user:password@ keeps the user; a lone name (a token:
		 * https://TOKEN@host) is masked whole. */
		colon = memchr(start, ':', (size_t)(end - start));
		if (colon) {
			memcpy(o, start, (size_t)(colon + 1 - start));
			o += colon + 1 - start;
		}
		memcpy(o, STATEMENT_MASK, strlen(STATEMENT_MASK));
		o += strlen(STATEMENT_MASK);
		p = end;
	}
	memcpy(o, p, strlen(p) + 1);
	return out;
}

/* ---- small builders that fail by returning NULL (out of memory) ---- */

/* Adds key: value to obj, consuming value; -ENOMEM if value is NULL. */
static int put(json_t *obj, const char *key, json_t *value)
{
	if (!value || json_object_set_new(obj, key, value))
		return -ENOMEM;
	return 0;
}

static int append(json_t *arr, json_t *value)
{
	if (!value || json_array_append_new(arr, value))
		return -ENOMEM;
	return 0;
}

/* A command word, directory, variable or process field as a JSON string.
 * Text that is not valid UTF-8 (a name from a Latin-1 file system, an
 * argument in another locale) is percent-encoded as names are, and noted
 * in *enc as member key of base (see json_note_encoded); the object that
 * holds it lists *enc as "percentEncoded".  NULL on ENOMEM. */
static json_t *text_at(const char *s, json_t **enc, const char *base, const char *key)
{
	int encoded;
	json_t *v = json_text(s ? s : "", &encoded);

	if (v && encoded && json_note_encoded(enc, base, key)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static json_t *digest_object(const char *hex)
{
	return json_pack("{ss}", "sha256", hex);
}

/* How a logged path is named: an absolute path inside a read-only
 * environment mount, relative to the workspace otherwise. */
static const struct alog_mount_row *find_mount(const struct alog_summary *s, const char *label)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (label && s->mounts[i].label && !strcmp(s->mounts[i].label, label))
			return &s->mounts[i];
	}
	return NULL;
}

static const char *display_path(const char *path, int readonly)
{
	if (readonly)
		return path;
	while (*path == '/')
		path++;
	return *path ? path : ".";
}


const char *statement_file_name(const struct alog_summary *s, const struct alog_file *f)
{
	const struct alog_mount_row *m = find_mount(s, f->mount);

	/* provfs run's tmp mount holds /tmp, /var/tmp and an empty HOME:
	 * its paths are the ones the build used, absolute like the root's. */
	return display_path(f->path,
			    m && (m->readonly || (m->label && !strcmp(m->label, ALOG_LABEL_TMP))));
}

/* Percent-encodes s for a URI (RFC 3986): every byte but the unreserved
 * ones and those in keep becomes %XX.  NULL on ENOMEM. */
static char *uri_escape(const char *s, const char *keep)
{
	char *out = malloc(3 * strlen(s) + 1), *p = out;

	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (isalnum(*c) || *c == '.' || *c == '-' || *c == '_' || *c == '~' ||
		    strchr(keep, *c))
			*p++ = (char)*c;
		else
			p += sprintf(p, "%%%02X", *c);
	}
	*p = '\0';
	return out;
}

/* The file URI of path: file:///abs for an absolute path, file:rel for
 * one relative to the workspace, every byte a path may not hold
 * unencoded (space, '#', '?', '%', bytes of 0x80 and above...) as %XX.
 * NULL on ENOMEM. */
static char *file_uri(const char *path)
{
	char *enc = uri_escape(path, "/"), *uri = NULL;

	if (enc && asprintf(&uri, "file:%s%s", path[0] == '/' ? "//" : "", enc) < 0)
		uri = NULL;
	free(enc);
	return uri;
}

/* A ResourceDescriptor for a logged file; NULL on ENOMEM. */
static json_t *file_descriptor(const struct alog_summary *s, const struct alog_file *f,
			       const char *owner, int is_input)
{
	json_t *d = json_object(), *ann = json_object();
	int encoded, ret;

	if (!d || !ann)
		goto fail;
	ret = put(d, "name", json_text(statement_file_name(s, f), &encoded));
	if (!ret && f->digest[0])
		ret = put(d, "digest", digest_object(f->digest));
	else if (!ret)
		ret = put(ann, "digest", json_string("unknown"));
	/* The usual mounts are told apart by the name's form (absolute in
	 * the environment, relative in the workspace); others are named. */
	if (!ret && f->mount && strcmp(f->mount, ALOG_LABEL_WORKSPACE) &&
	    strcmp(f->mount, ALOG_LABEL_ROOT))
		ret = put(ann, "mount", json_string(f->mount));
	if (!ret && encoded)
		ret = put(ann, "nameEncoding", json_string("percent"));
	if (!ret && is_input && f->exec)
		ret = put(ann, "executed", json_integer(1));
	if (!ret && owner)
		ret = put(ann, "package", json_string(owner));
	if (!ret && !f->digest[0]) {
		/* A descriptor needs a uri, digest or content. */
		char *uri = file_uri(statement_file_name(s, f));

		if (!uri)
			goto fail;
		ret = put(d, "uri", json_string(uri));
		free(uri);
	}
	if (ret)
		goto fail;
	if (json_object_size(ann))
		return json_object_set_new(d, "annotations", ann) ? NULL : d;
	json_decref(ann);
	return d;
fail:
	json_decref(d);
	json_decref(ann);
	return NULL;
}

static json_t *package_descriptor(const char *distro, const struct envfacts_package *pkg)
{
	char *name = uri_escape(pkg->name, ""), *version = uri_escape(pkg->version, "");
	char *arch = uri_escape(pkg->arch, ""), *ns = uri_escape(distro, ""), *uri = NULL;
	json_t *d = NULL;

	if (name && version && arch && ns &&
	    asprintf(&uri, "pkg:deb/%s/%s@%s?arch=%s", ns, name, version, arch) >= 0) {
		d = json_pack("{ss ss s{ss ss}}", "uri", uri, "name", pkg->name, "annotations",
			      "version", pkg->version, "arch", pkg->arch);
		free(uri);
	}
	free(name);
	free(version);
	free(arch);
	free(ns);
	return d;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static json_t *environment_descriptor(const struct statement_params *p)
{
	const struct envfacts *f = p->facts;
	json_t *d = json_object(), *ann = json_object();
	char *uri = NULL;
	int ret;

	if (!d || !ann)
		goto fail;
	ret = put(d, "name", json_string("environment"));
	if (!ret && p->env_digest)
		ret = put(d, "digest", digest_object(p->env_digest));
	if (!ret && !(uri = file_uri(p->env_root ? p->env_root : "/")))
		goto fail;
	if (!ret)
		ret = put(d, "uri", json_string(uri));
	free(uri);
	if (!ret && f) {
		ret = put(ann, "osRelease", json_pack("{ss ss ss}", "id", or_empty(f->os_id),
				"versionId", or_empty(f->os_version_id),
				"prettyName", or_empty(f->os_pretty_name)));
		if (!ret)
			ret = put(ann, "kernel", json_string(or_empty(f->kernel)));
		if (!ret)
			ret = put(ann, "packages", json_integer((json_int_t)f->n_packages));
	}
	if (ret || put(d, "annotations", ann))
		goto fail_d;
	return d;
fail:
	json_decref(ann);
fail_d:
	json_decref(d);
	return NULL;
}

static json_t *resolved_dependencies(const struct statement_params *p)
{
	const struct alog_summary *s = p->summary;
	json_t *deps = json_array();
	int ret;

	if (!deps)
		return NULL;
	ret = append(deps, environment_descriptor(p));
	if (p->facts) {
		const char *distro = p->facts->os_id && p->facts->os_id[0] ? p->facts->os_id : "debian";

		for (size_t i = 0; !ret && i < p->facts->n_packages; i++)
			ret = append(deps, package_descriptor(distro, &p->facts->packages[i]));
	}
	for (size_t i = 0; !ret && i < s->n_inputs; i++)
		ret = append(deps, file_descriptor(s, &s->inputs[i],
						   p->input_owners ? p->input_owners[i] : NULL, 1));
	if (ret) {
		json_decref(deps);
		return NULL;
	}
	return deps;
}

/* The argv of a process as logged (a JSON array text), or [] if unread;
 * *cut says whether the log marked it cut short (see procinfo_argv_json).
 * An argument that is not UTF-8 is percent-encoded and its pointer under
 * base noted in *enc (see json_argv_texts). */
static json_t *process_argv(const struct alog_proc_row *proc, int *cut, json_t **enc,
			    const char *base)
{
	json_t *argv = proc->argv_json ? json_loads(proc->argv_json, 0, NULL) : NULL;
	int ret;

	*cut = procinfo_argv_cut(argv);
	ret = json_argv_texts(argv, enc, base);
	if (!ret)
		return argv;
	json_decref(argv);
	*cut = 0;
	/* Not read (the process was gone): none, rather than a guess. */
	return ret == -ENOMEM ? NULL : json_array();
}

/* Whether record r has no arguments: its process was gone when its
 * daemon read /proc (or, rarely, ran with none). */
static int no_argv(const struct alog_proc_row *r)
{
	return !r->argv_json || !*r->argv_json || !strcmp(r->argv_json, "[]");
}

/* The process that started first (the earliest start time; of those the
 * one logged first), of those /proc described: not the one of the lowest
 * id, which depends on which mount's daemon opened the log first, and may
 * be a process the build did not start. */
static const struct alog_proc_row *first_process(const struct alog_summary *sum)
{
	const struct alog_proc_row *first = NULL;

	for (size_t i = 0; i < sum->n_procs; i++) {
		const struct alog_proc_row *r = &sum->procs[i];

		if (no_argv(r))
			continue;
		if (!first || (r->start_ns && (!first->start_ns || r->start_ns < first->start_ns)))
			first = r;
	}
	return first ? first : sum->n_procs ? &sum->procs[0] : NULL;
}

static json_t *external_parameters(const struct statement_params *p)
{
	const struct alog_proc_row *first = first_process(p->summary);
	json_t *cmd, *out, *enc = NULL;
	const char *cwd = p->cwd;
	int ret, cut = 0;

	if (p->command) {
		cmd = json_array();
		for (size_t i = 0; cmd && i < p->n_command; i++) {
			char idx[24];

			snprintf(idx, sizeof(idx), "%zu", i);
			if (append(cmd, text_at(p->command[i], &enc, "/command", idx))) {
				json_decref(cmd);
				cmd = NULL;
			}
		}
	} else if (first) {
		cmd = process_argv(first, &cut, &enc, "/command");
		if (cmd && !json_array_size(cmd) && first->exe && *first->exe)
			append(cmd, text_at(first->exe, &enc, "/command", "0"));
	} else {
		cmd = json_array();
	}
	if (!cwd)
		cwd = first && first->cwd ? first->cwd : "";
	out = json_object();
	ret = !out || put(out, "command", cmd) ||
	      put(out, "workingDirectory", text_at(cwd, &enc, "", "workingDirectory")) ||
	      /* taken from a command line cut short: said, as in its process */
	      (cut && put(out, "commandTruncated", json_integer(1)));
	if (json_put_encoded(ret, out, enc)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* An object of "NAME=VALUE" strings (others skipped); with mask, values of
 * secret-looking names are STATEMENT_MASK.  A name that is not valid UTF-8
 * is percent-encoded, and so is its value; either is noted in *enc under
 * base (see text_at).  NULL on ENOMEM. */
static json_t *kv_object(const char *const *kvs, size_t n, int mask, json_t **enc,
			 const char *base)
{
	json_t *obj = json_object();

	for (size_t i = 0; obj && i < n; i++) {
		const char *kv = kvs[i], *eq = strchr(kv, '=');
		const char *value;
		json_t *key;
		char *name, *masked = NULL;
		int name_encoded = 0, ret = -ENOMEM;

		if (!eq || eq == kv)
			continue;
		name = strndup(kv, (size_t)(eq - kv));
		value = name && mask && statement_name_is_secret(name) ? STATEMENT_MASK : eq + 1;
		if (name && mask && value != (const char *)STATEMENT_MASK) {
			masked = statement_mask_url_secrets(value);
			value = masked;
		}
		key = name ? json_text(name, &name_encoded) : NULL;
		if (key && name_encoded) {
			if (!json_note_encoded(enc, base, json_string_value(key)))
				ret = put(obj, json_string_value(key), json_percent_string(value));
		} else if (key) {
			ret = put(obj, name, text_at(value, enc, base, name));
		}
		json_decref(key);
		free(name);
		free(masked);
		if (ret) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

static json_t *internal_parameters(const struct statement_params *p)
{
	json_t *out = json_object(), *enc = NULL;
	int ret;

	ret = !out ||
	      put(out, "environment",
		  kv_object(p->environment, p->n_environment, 1, &enc, "/environment")) ||
	      (p->driver && put(out, "driver", json_string(p->driver))) ||
	      (p->n_slave && put(out, "slave", kv_object(p->slave, p->n_slave, 0, &enc, "/slave")));
	if (json_put_encoded(ret, out, enc)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static int cmp_text(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Whether records a and b of one log (of one pid and start time) are of
 * one image of that process (one exec of it), logged by different mounts:
 * the same program, and where both know the image (procinfo.image), the
 * same image, whatever the directory or arguments each read (`make -C
 * sub` read after its chdir, `mkdir -p a/b` after it cut its own "a/b");
 * else the same arguments and directory.  (The program too, as without
 * ASLR two programs' arguments may lie at one address.)  A record without
 * a start time (its /proc was gone) is of no other's process. */
static int same_process(const struct alog_proc_row *a, const struct alog_proc_row *b)
{
	if (a->pid != b->pid || a->start_ns != b->start_ns || !a->start_ns ||
	    cmp_text(a->exe, b->exe))
		return 0;
	if (a->image && b->image)
		return a->image == b->image;
	return !cmp_text(a->argv_json, b->argv_json) && !cmp_text(a->cwd, b->cwd);
}

/* qsort_r of indices of the records of summary arg: the records of one
 * pid and start time together, in log order. */
static int by_process(const void *pa, const void *pb, void *arg)
{
	const struct alog_summary *s = arg;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct alog_proc_row *a = &s->procs[ia], *b = &s->procs[ib];

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

/* Whether gone, a record with no arguments, may be of the program that
 * full names: no program or the same, and no directory or the same. */
static int may_be_of(const struct alog_proc_row *gone, const struct alog_proc_row *full)
{
	return (!gone->exe || !*gone->exe || (full->exe && procinfo_exe_is(full->exe, gone->exe))) &&
	       (!gone->cwd || !*gone->cwd || !cmp_text(gone->cwd, full->cwd));
}

/* The time of the first access of the records in order[a..b) whose
 * group (the record naming it) is f and that have arguments; 0 if none. */
static int64_t group_first_ns(const struct alog_summary *s, const size_t *order,
			      const size_t *first, size_t a, size_t b, size_t f)
{
	int64_t t = 0;

	for (size_t c = a; c < b; c++) {
		const struct alog_proc_row *r = &s->procs[order[c]];

		if (first[order[c]] == f && !no_argv(r) && r->first_ns > 0 &&
		    (!t || r->first_ns < t))
			t = r->first_ns;
	}
	return t;
}

/* Where several full records of one pid and start time may be gone's
 * (bash running bash as its last command: one pid, two images of one
 * program), the group of the image that began last before gone's first
 * access: a process waits on each request's reply, so whatever an image
 * asked of any mount was timed after its first request, and before those
 * of the image its exec made.  Only for a gone record that names its
 * program (the exec ring's name); SIZE_MAX where that does not tell. */
static size_t latest_image_before(const struct alog_summary *s, const size_t *order,
				  const size_t *first, size_t a, size_t b,
				  const struct alog_proc_row *gone)
{
	size_t pick = SIZE_MAX;
	int64_t pick_ns = 0;
	int tie = 0;

	if (!gone->exe || !*gone->exe || gone->first_ns <= 0)
		return SIZE_MAX;
	for (size_t c = a; c < b; c++) {
		size_t f = first[order[c]];
		int64_t t;

		if (no_argv(&s->procs[order[c]]) || f == pick || !may_be_of(gone, &s->procs[f]))
			continue;
		t = group_first_ns(s, order, first, a, b, f);
		if (t <= 0 || t > gone->first_ns)
			continue;
		if (t > pick_ns) {
			pick = f;
			pick_ns = t;
			tie = 0;
		} else if (t == pick_ns) {
			tie = 1;
		}
	}
	return tie ? SIZE_MAX : pick;
}

/* A mount whose daemon read /proc too late for a short-lived process
 * (rm, tail: gone a few hundred microseconds after their last request)
 * has a record of it with no arguments, beside another mount's full
 * record of it.  The start time, read while the process waited on the
 * daemon, tells which process it was: such a record joins the full
 * record of its pid and start time that it may be of (its program and
 * directory), if there is one only.  A pid seen both before and after an
 * exec has two full records at one start time: a record that names its
 * program (the one an exec on its mount opened) tells them apart (env,
 * run from the workspace, which runs /bin/true: its workspace record,
 * read after that exec, joins the root's record of env), and where both
 * images are of that program, the times of their accesses do
 * (latest_image_before); one that names none is left alone.  order
 * sorts the records by pid and start time (by_process); first maps each
 * to the record that names its group, and is changed here. */
static void join_gone_records(const struct alog_summary *s, const size_t *order, size_t *first)
{
	for (size_t a = 0, b; a < s->n_procs; a = b) {
		const struct alog_proc_row *ra = &s->procs[order[a]];

		for (b = a; b < s->n_procs && s->procs[order[b]].pid == ra->pid &&
			    s->procs[order[b]].start_ns == ra->start_ns;
		     b++)
			;
		if (!ra->start_ns)
			continue;
		for (size_t k = a; k < b; k++) {
			const struct alog_proc_row *gone = &s->procs[order[k]];
			size_t full = SIZE_MAX;
			int several = 0;

			if (!no_argv(gone))
				continue;
			for (size_t c = a; c < b && !several; c++) {
				size_t f = first[order[c]];

				if (no_argv(&s->procs[order[c]]) || f == full ||
				    !may_be_of(gone, &s->procs[f]))
					continue;
				several = full != SIZE_MAX;
				full = f;
			}
			if (several)
				full = latest_image_before(s, order, first, a, b, gone);
			if (full != SIZE_MAX)
				first[order[k]] = full;
		}
	}
}

/* Whether record a (index ia), rather than b, names the item of their
 * process: one with arguments, then the one whose first access came
 * first (read at the exec, before a chdir or a change of its arguments),
 * then the earlier in the log. */
static int names_rather(const struct alog_proc_row *a, size_t ia, const struct alog_proc_row *b,
			size_t ib)
{
	if (no_argv(a) != no_argv(b))
		return !no_argv(a);
	if ((a->first_ns > 0) != (b->first_ns > 0))
		return a->first_ns > 0;
	if (a->first_ns != b->first_ns)
		return a->first_ns < b->first_ns;
	return ia < ib;
}

/* The records order[a..b), of one pid and start time, in groups of one
 * process each (a record joins the group of the first record before it
 * in log order that it is same_process with): first maps each to the
 * member that names its group (names_rather). */
static void group_block(const struct alog_summary *s, const size_t *order, size_t a, size_t b,
			size_t *first)
{
	for (size_t k = a; k < b; k++) {
		size_t g = order[k];

		/* the groups' first records, then the others (a record with
		 * no image may be same_process with a member only): a
		 * process's many threads, one group, cost one look each */
		for (int pass = 0; pass < 2 && g == order[k]; pass++)
			for (size_t c = a; c < k; c++)
				if ((first[order[c]] == order[c]) == !pass &&
				    same_process(&s->procs[order[c]], &s->procs[order[k]])) {
					g = first[order[c]];
					break;
				}
		first[order[k]] = g;
	}
	for (size_t k = a; k < b; k++) {
		size_t g = order[k], best = g;

		if (first[g] != g)
			continue;
		for (size_t c = k + 1; c < b; c++)
			if (first[order[c]] == g &&
			    names_rather(&s->procs[order[c]], order[c], &s->procs[best], best))
				best = order[c];
		for (size_t c = k; best != g && c < b; c++)
			if (first[order[c]] == g)
				first[order[c]] = best;
	}
}

/* For each record, the index of the record that names its process (see
 * group_block and join_gone_records), or NULL on allocation failure. */
static size_t *process_firsts(const struct alog_summary *s)
{
	size_t *order = malloc((s->n_procs + 1) * sizeof(*order));
	size_t *first = malloc((s->n_procs + 1) * sizeof(*first));

	if (!order || !first) {
		free(order);
		free(first);
		return NULL;
	}
	for (size_t i = 0; i < s->n_procs; i++)
		order[i] = i;
	qsort_r(order, s->n_procs, sizeof(*order), by_process, (void *)s);
	for (size_t a = 0, b; a < s->n_procs; a = b) {
		const struct alog_proc_row *ra = &s->procs[order[a]];

		for (b = a + 1; b < s->n_procs && s->procs[order[b]].pid == ra->pid &&
				s->procs[order[b]].start_ns == ra->start_ns;
		     b++)
			;
		group_block(s, order, a, b, first);
	}
	join_gone_records(s, order, first);
	free(order);
	return first;
}

/* Appends label to item's "mounts", percent-encoded (and noted in its
 * "percentEncoded") if it is not UTF-8.  -ENOMEM on failure. */
static int add_mount(json_t *item, const char *label)
{
	json_t *mounts = json_object_get(item, "mounts"), *enc = json_object_get(item, "percentEncoded");
	int encoded, had = enc != NULL;
	json_t *v = json_text(label ? label : "", &encoded);
	char key[24];

	snprintf(key, sizeof(key), "%zu", json_array_size(mounts));
	if (!v || !mounts || json_array_append_new(mounts, v))
		return -ENOMEM;
	if (!encoded)
		return 0;
	if (json_note_encoded(&enc, "/mounts", key)) {
		if (!had)
			json_decref(enc);
		return -ENOMEM;
	}
	return had ? 0 : put(item, "percentEncoded", enc);
}

/* Whether item's "mounts" names label already: one daemon may log a
 * process twice (a record an exec started, read again). */
static int has_mount(json_t *item, const char *label)
{
	json_t *mounts = json_object_get(item, "mounts"), *v;
	size_t k;

	json_array_foreach(mounts, k, v)
		if (!cmp_text(json_string_value(v), label))
			return 1;
	return 0;
}

/* The manifest's item of the process of record r, with no accesses nor
 * mounts yet; NULL on ENOMEM. */
static json_t *process_item(const struct alog_proc_row *r)
{
	json_t *argv, *item, *enc = NULL;
	int cut;

	argv = process_argv(r, &cut, &enc, "/argv");
	item = argv ? json_pack("{sI sI sI so sI s[]}", "id", (json_int_t)r->id, "pid",
				(json_int_t)r->pid, "ppid", (json_int_t)r->ppid, "argv", argv,
				"accesses", (json_int_t)0, "mounts") : NULL;
	/* before exe and cwd: json_set_text adds to this array */
	if (json_put_encoded(!item, item, enc)) {
		json_decref(item);
		return NULL;
	}
	/* Arguments past what provfs keeps of a command line are left out;
	 * the record says so rather than pass argv off as whole. */
	if (cut && json_object_set_new(item, "argvTruncated", json_integer(1))) {
		json_decref(item);
		return NULL;
	}
	/* A program or directory /proc did not give is "". */
	return json_with_texts(item, "exe", r->exe ? r->exe : "", "cwd", r->cwd ? r->cwd : "",
			       NULL);
}

/* One item per process: the records that the mounts' daemons each made
 * of it are one, naming every mount that saw it ("mounts") and the sum of
 * their accesses; in log order of each process's first record.  The item
 * is made of the record that names its group (see process_firsts), which
 * others of the group may precede in log order. */
static json_t *process_tree(const struct alog_summary *s)
{
	json_t *procs = json_array(), **items = calloc(s->n_procs + 1, sizeof(*items));
	size_t *first = process_firsts(s);

	for (size_t i = 0; procs && items && first && i < s->n_procs; i++) {
		const struct alog_proc_row *r = &s->procs[i];
		json_t *item = items[first[i]];

		if (!item) {
			item = items[first[i]] = process_item(&s->procs[first[i]]);
			if (!item || append(procs, json_incref(item)))
				goto fail;
		}
		if (json_object_set_new(item, "accesses",
					json_integer(json_integer_value(json_object_get(item, "accesses")) +
						     r->accesses)) ||
		    (!has_mount(item, r->mount) && add_mount(item, r->mount)))
			goto fail;
	}
	if (!items || !first)
		goto fail;
	for (size_t i = 0; i < s->n_procs; i++)
		json_decref(items[i]);
	free(items);
	free(first);
	return procs ? json_pack("{ss ss s{so}}", "name", "process-tree", "uri",
				 "urn:provfs:process-tree", "annotations", "processes", procs) : NULL;
fail:
	for (size_t i = 0; items && i < s->n_procs; i++)
		json_decref(items[i]);
	free(items);
	free(first);
	json_decref(procs);
	return NULL;
}

static json_t *mount_list(const struct alog_summary *s)
{
	json_t *mounts = json_array();

	for (size_t i = 0; mounts && i < s->n_mounts; i++) {
		const struct alog_mount_row *m = &s->mounts[i];
		json_t *item = json_pack("{sI ss sI}", "readonly", (json_int_t)m->readonly, "status",
				/* No finish time: the daemon never closed its log
				 * (killed), so the log may lack its last accesses. */
				m->finished_ns <= 0 ? "unfinished" : m->status ? m->status : "",
				"captureErrors", (json_int_t)m->capture_errors);

		item = json_with_texts(item, "label", m->label ? m->label : "", "backing",
				       m->backing ? m->backing : "", "mountpoint",
				       m->mountpoint ? m->mountpoint : "", NULL);
		if (append(mounts, item)) {
			json_decref(mounts);
			return NULL;
		}
	}
	return mounts;
}

static json_t *probe_list(const struct alog_summary *s)
{
	json_t *paths = json_array(), *ann = json_object(), *enc = NULL;
	int ret = paths && ann ? 0 : -ENOMEM;

	for (size_t i = 0; !ret && i < s->n_probes; i++) {
		char idx[24];

		snprintf(idx, sizeof(idx), "%zu", i);
		ret = append(paths, text_at(statement_file_name(s, &s->probes[i]), &enc, "/paths",
					    idx));
	}
	if (!ret) {
		ret = put(ann, "paths", paths);
		paths = NULL;
	}
	if (json_put_encoded(ret, ann, enc)) {
		json_decref(paths);
		json_decref(ann);
		return NULL;
	}
	return json_pack("{ss ss so}", "name", "missing-paths", "uri", "urn:provfs:missing-paths",
			 "annotations", ann);
}

static json_t *byproducts(const struct statement_params *p)
{
	json_t *list = json_array();
	int ret;

	if (!list)
		return NULL;
	ret = append(list, json_pack("{ss s{ss} ss s{sI so}}", "name", "access-log", "digest",
			"sha256", p->log_digest, "mediaType", "application/vnd.sqlite3",
			"annotations", "accesses", (json_int_t)p->summary->n_accesses,
			"mounts", mount_list(p->summary)));
	if (!ret)
		ret = append(list, process_tree(p->summary));
	if (!ret)
		ret = append(list, probe_list(p->summary));
	if (!ret && p->has_exit_status)
		ret = append(list, json_pack("{ss ss s{si}}", "name", "exit-status", "uri",
				"urn:provfs:exit-status", "annotations", "exitStatus", p->exit_status));
	if (ret) {
		json_decref(list);
		return NULL;
	}
	return list;
}

static json_t *metadata(const struct statement_params *p)
{
	const struct alog_summary *s = p->summary;
	int64_t started = 0, finished = 0;
	int all_finished = s->n_mounts > 0;
	char text[32];
	json_t *md = json_pack("{so}", "invocationId",
			       json_text(p->invocation_id ? p->invocation_id : p->log_digest, NULL));

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct alog_mount_row *m = &s->mounts[i];

		if (m->started_ns > 0 && (!started || m->started_ns < started))
			started = m->started_ns;
		if (m->finished_ns <= 0)
			all_finished = 0;
		else if (m->finished_ns > finished)
			finished = m->finished_ns;
	}
	if (md && started) {
		time_format_rfc3339(started, text, sizeof(text));
		json_object_set_new(md, "startedOn", json_string(text));
	}
	if (md && all_finished) {
		time_format_rfc3339(finished, text, sizeof(text));
		json_object_set_new(md, "finishedOn", json_string(text));
	}
	return md;
}

static json_t *subjects(const struct alog_summary *s, size_t *skipped)
{
	json_t *list = json_array();

	*skipped = 0;
	for (size_t i = 0; list && i < s->n_outputs; i++) {
		if (!s->outputs[i].digest[0]) {
			(*skipped)++;
			continue;
		}
		if (append(list, file_descriptor(s, &s->outputs[i], NULL, 0))) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

int statement_build(const struct statement_params *p, json_t **out, size_t *skipped_outputs)
{
	json_t *subj, *stmt;
	size_t skipped;

	*out = NULL;
	if (!hex_is_digest(p->log_digest) || (p->env_digest && !hex_is_digest(p->env_digest)))
		return -EINVAL;
	subj = subjects(p->summary, &skipped);
	if (!subj)
		return -ENOMEM;
	if (skipped_outputs)
		*skipped_outputs = skipped;
	if (json_array_size(subj) == 0) {
		/* A build that wrote nothing (a test run, a failed build) still
		 * gets a manifest: its subject is then the access log itself. */
		if (append(subj, json_pack("{s:s, s:{s:s}}", "name", STATEMENT_LOG_SUBJECT,
					   "digest", "sha256", p->log_digest))) {
			json_decref(subj);
			return -ENOMEM;
		}
	}
	stmt = json_pack("{ss so ss s{s{ss so so so} s{s{so s{ss}} so so}}}",
			 "_type", STATEMENT_TYPE, "subject", subj,
			 "predicateType", STATEMENT_PREDICATE_SLSA, "predicate",
			 "buildDefinition", "buildType", STATEMENT_BUILD_TYPE,
			 "externalParameters", external_parameters(p),
			 "internalParameters", internal_parameters(p),
			 "resolvedDependencies", resolved_dependencies(p),
			 "runDetails", "builder", "id",
			 json_text(p->builder_id ? p->builder_id : STATEMENT_DEFAULT_BUILDER, NULL),
			 "version", "provfs", PROVFS_VERSION,
			 "metadata", metadata(p), "byproducts", byproducts(p));
	if (!stmt)
		return -ENOMEM;
	*out = stmt;
	return 0;
}

/* ---- shape ---- */

static int shape_fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -EBADMSG;
}

const char *statement_descriptor_sha256(const json_t *descriptor)
{
	json_t *digest = json_object_get(descriptor, "digest");
	json_t *sha = json_object_get(digest, "sha256");

	return json_is_string(sha) ? json_string_value(sha) : NULL;
}

const json_t *statement_find_descriptor(const json_t *list, const char *name)
{
	size_t i;
	json_t *d;

	json_array_foreach(list, i, d) {
		const char *n = json_get_string(d, "name");

		if (n && !strcmp(n, name))
			return d;
	}
	return NULL;
}

/* Each element an object with a string name and, if it has a digest, an
 * object of strings whose sha256 (if any) is a digest name. */
static int check_descriptors(const json_t *list, int need_sha256, const char *what,
			     char *err, size_t errlen)
{
	char msg[160];
	size_t i;
	json_t *d;

	json_array_foreach(list, i, d) {
		json_t *digest = json_object_get(d, "digest");
		json_t *sha = json_object_get(digest, "sha256");
		json_t *name = json_object_get(d, "name");

		snprintf(msg, sizeof(msg), "%s %zu is malformed", what, i);
		if (!json_is_object(d) || (name && !json_is_string(name)))
			return shape_fail(err, errlen, msg);
		if (digest && !json_is_object(digest))
			return shape_fail(err, errlen, msg);
		if (digest) {
			/* A DigestSet maps algorithm names to digests: strings. */
			const char *alg;
			json_t *v;

			json_object_foreach(digest, alg, v) {
				if (!json_is_string(v) || !json_string_length(v)) {
					snprintf(msg, sizeof(msg), "%s %zu has a digest that is not a string",
						 what, i);
					return shape_fail(err, errlen, msg);
				}
			}
		}
		if (sha && !(json_is_string(sha) && hex_is_digest(json_string_value(sha)))) {
			snprintf(msg, sizeof(msg), "%s %zu has a malformed sha256 digest", what, i);
			return shape_fail(err, errlen, msg);
		}
		if (need_sha256 && (!sha || !name)) {
			snprintf(msg, sizeof(msg), "%s %zu lacks a name or a sha256 digest", what, i);
			return shape_fail(err, errlen, msg);
		}
	}
	return 0;
}

int statement_check_shape(const json_t *stmt, char *err, size_t errlen)
{
	const char *type = json_get_string(stmt, "_type");
	const char *ptype = json_get_string(stmt, "predicateType");
	json_t *subj = json_get_array(stmt, "subject");
	json_t *pred = json_get_object(stmt, "predicate");
	json_t *bd = json_get_object(pred, "buildDefinition");
	json_t *rd = json_get_object(pred, "runDetails");
	json_t *deps, *byp;
	int ret;

	if (!json_is_object(stmt))
		return shape_fail(err, errlen, "payload is not a JSON object");
	if (!type || strcmp(type, STATEMENT_TYPE))
		return shape_fail(err, errlen, "payload '_type' is not " STATEMENT_TYPE);
	if (!subj || json_array_size(subj) == 0)
		return shape_fail(err, errlen, "statement has no 'subject'");
	ret = check_descriptors(subj, 1, "subject", err, errlen);
	if (ret)
		return ret;
	if (!ptype || strcmp(ptype, STATEMENT_PREDICATE_SLSA))
		return shape_fail(err, errlen, "'predicateType' is not " STATEMENT_PREDICATE_SLSA);
	if (!bd || !json_get_string(bd, "buildType") || !json_get_object(bd, "externalParameters"))
		return shape_fail(err, errlen,
				  "predicate lacks buildDefinition.buildType or externalParameters");
	if (!rd || !json_get_string(json_get_object(rd, "builder"), "id"))
		return shape_fail(err, errlen, "predicate lacks runDetails.builder.id");
	deps = json_object_get(bd, "resolvedDependencies");
	if (deps && !json_is_array(deps))
		return shape_fail(err, errlen, "resolvedDependencies is not an array");
	if (deps) {
		ret = check_descriptors(deps, 0, "resolved dependency", err, errlen);
		if (ret)
			return ret;
	}
	byp = json_object_get(rd, "byproducts");
	if (byp && !json_is_array(byp))
		return shape_fail(err, errlen, "byproducts is not an array");
	if (byp)
		return check_descriptors(byp, 0, "byproduct", err, errlen);
	return 0;
}
