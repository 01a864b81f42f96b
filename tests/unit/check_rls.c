/*
 * check_rls.c - unit tests of the resource list server helpers of sip/:
 * list expansion (nested lists, entry-ref, external, cycles, duplicates,
 * packages), XCAP URI splitting, list NOTIFY bodies (RLMI version and
 * state, multipart/related structure), xcap-diff documents (RFC 5874
 * example), base64 helpers.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sip/psip_int.h"
#include "presence/presence.h"

#define RL_NS "urn:ietf:params:xml:ns:resource-lists"
#define JOE "sip:joe@example.com"

/* the in-memory store behind psip_rls_expand() */
struct mem_doc {
	const char *xui, *name, *content;
};
static const struct mem_doc *store;
static int n_gets;

static int
mem_get(void *arg, const char *auid, const char *xui, const char *name, struct db_doc *out)
{
	const struct mem_doc *d;

	(void)arg;
	n_gets++;
	if (strcmp(auid, "resource-lists") != 0)
		return PRES_ENOTFOUND;
	for (d = store; d && d->xui; d++)
		if (strcmp(d->xui, xui) == 0 && strcmp(d->name, name) == 0) {
			memset(out, 0, sizeof(*out));
			out->content = strdup(d->content);
			out->len = strlen(d->content);
			return out->content ? PRES_OK : PRES_ENOMEM;
		}
	return PRES_ENOTFOUND;
}

static const char joe_lists[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<resource-lists xmlns=\"" RL_NS "\">"
    "<list name=\"friends\">"
    "  <entry uri=\"sip:bill@example.com\"><display-name>Bill Doe</display-name></entry>"
    "  <entry-ref ref=\"resource-lists/users/sip:joe@example.com/index/~~/resource-lists/"
    "list%5b@name=%22close%22%5d/entry%5b@uri=%22sip:petri@example.com%22%5d\"/>"
    "  <list name=\"nested\">"
    "    <entry uri=\"sip:bill@EXAMPLE.COM\"/>"       /* duplicate of bill (host case) */
    "    <entry uri=\"sip:ann@example.com\"/>"
    "  </list>"
    "  <external anchor=\"http://xcap.example.com/resource-lists/users/sip:joe@example.com/"
    "index/~~/resource-lists/list%5b@name=%22close%22%5d\"/>"
    "</list>"
    "<list name=\"close\">"
    "  <entry uri=\"sip:petri@example.com\"/>"
    "  <entry uri=\"sip:ann@example.com\"/>"           /* duplicate via external */
    "  <external anchor=\"http://xcap.example.com/resource-lists/users/sip:joe@example.com/"
    "index/~~/resource-lists/list%5b@name=%22loop%22%5d\"/>"
    "</list>"
    "<list name=\"loop\">"
    "  <entry uri=\"tel:+1-555-0100\"/>"
    "  <external anchor=\"http://xcap.example.com/resource-lists/users/sip:joe@example.com/"
    "index/~~/resource-lists/list%5b@name=%22close%22%5d\"/>"  /* cycle: close -> loop -> close */
    "</list>"
    "</resource-lists>";

static const char joe_rls[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\" xmlns:rl=\"" RL_NS "\">"
    "<service uri=\"sip:mybuddies@example.com\">"
    "  <resource-list>http://xcap.example.com/resource-lists/users/sip:joe@example.com/index/~~/"
    "resource-lists/list%5b@name=%22friends%22%5d</resource-list>"
    "  <packages><package>presence</package></packages>"
    "</service>"
    "<service uri=\"sip:marketing@example.com\">"
    "  <list name=\"marketing\"><rl:display-name>Marketing</rl:display-name>"
    "    <rl:entry uri=\"sip:joe@example.com\"/>"
    "    <rl:entry uri=\"sip:sudhir@example.com\"/>"
    "    <rl:entry uri=\"sip:joe@example.com\"/>"
    "  </list>"
    "  <packages><package>presence</package></packages>"
    "</service>"
    "<service uri=\"sip:calls@example.com\">"
    "  <list><rl:entry uri=\"sip:a@example.com\"/></list>"
    "  <packages><package>dialog</package></packages>"
    "</service>"
    "<service uri=\"sip:self@example.com\">"
    "  <resource-list>http://xcap.example.com/resource-lists/users/sip:joe@example.com/index/~~/"
    "resource-lists/list%5b@name=%22loop%22%5d</resource-list>"
    "</service>"
    "</rls-services>";

static const struct mem_doc joe_store[] = {
	{ JOE, "index", joe_lists },
	{ NULL, NULL, NULL },
};

static int
has(const struct psip_rls_list *l, const char *uri)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->m[i].uri, uri) == 0)
			return (int)i + 1;
	return 0;
}

START_TEST(test_expand_nested_refs_dups_cycles)
{
	struct psip_rls_list l;
	int i;

	store = joe_store;
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(psip_rls_expand(joe_rls, strlen(joe_rls), "sip:mybuddies@example.com",
	    mem_get, NULL, &l), PRES_OK);
	/* bill (entry), petri (entry-ref), ann (nested), petri+ann again
	 * (external close), tel (external loop), close again = cycle */
	ck_assert_uint_eq(l.n, 4);
	ck_assert(has(&l, "sip:bill@example.com") == 1);
	ck_assert(has(&l, "sip:petri@example.com") == 2);
	ck_assert(has(&l, "sip:ann@example.com") == 3);
	ck_assert(has(&l, "tel:+15550100"));
	i = has(&l, "sip:bill@example.com") - 1;
	ck_assert_str_eq(l.m[i].name, "Bill Doe");
	ck_assert_uint_eq(l.dups, 3);	/* bill@EXAMPLE.COM, ann and petri via close */
	ck_assert_uint_eq(l.cycles, 1);
	ck_assert_uint_eq(l.unresolved, 0);
	ck_assert_uint_eq(l.n_deps, 1);
	ck_assert_str_eq(l.deps[0], JOE);
	psip_rls_list_clear(&l);

	/* a service whose list loops into itself ends */
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(psip_rls_expand(joe_rls, strlen(joe_rls), "sip:self@example.com",
	    mem_get, NULL, &l), PRES_OK);
	ck_assert_uint_eq(l.n, 3);	/* tel, petri, ann */
	ck_assert_uint_ge(l.cycles, 1);
	psip_rls_list_clear(&l);
}
END_TEST

START_TEST(test_expand_inline_packages_missing)
{
	struct psip_rls_list l;

	store = joe_store;
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(psip_rls_expand(joe_rls, strlen(joe_rls), "sip:marketing@example.com",
	    mem_get, NULL, &l), PRES_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.dups, 1);
	ck_assert_str_eq(l.name, "Marketing");
	psip_rls_list_clear(&l);
	/* a dialog-only service is not a presence list */
	ck_assert_int_eq(psip_rls_expand(joe_rls, strlen(joe_rls), "sip:calls@example.com",
	    mem_get, NULL, &l), PRES_ENOTFOUND);
	psip_rls_list_clear(&l);
	ck_assert_int_eq(psip_rls_expand(joe_rls, strlen(joe_rls), "sip:nobody@example.com",
	    mem_get, NULL, &l), PRES_ENOTFOUND);
	psip_rls_list_clear(&l);
	/* references to documents that do not exist are counted, not fatal */
	store = NULL;
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(psip_rls_expand(joe_rls, strlen(joe_rls), "sip:mybuddies@example.com",
	    mem_get, NULL, &l), PRES_OK);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_uint_eq(l.unresolved, 1);
	psip_rls_list_clear(&l);
	ck_assert_int_eq(psip_rls_expand("<not xml", 8, "sip:x@example.com", mem_get, NULL, &l),
	    PRES_EINVAL);
	{	/* a DOCTYPE (entities) is refused */
		const char *dt = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
		    "<rls-services><service uri=\"sip:x@example.com\"><list><entry uri=\"&e;\"/>"
		    "</list></service></rls-services>";
		ck_assert_int_eq(psip_rls_expand(dt, strlen(dt), "sip:x@example.com", mem_get, NULL,
		    &l), PRES_EINVAL);
	}
	psip_rls_list_clear(&l);
}
END_TEST

START_TEST(test_uri_split)
{
	char root[256], auid[64], xui[DB_URI_MAX], doc[256], sel[512];

	ck_assert_int_eq(psip_xcap_uri_split("https://xcap.example.com:8443/xcap-root/resource-lists/"
	    "users/sip%3Ajoe%40Example.com/index/~~/resource-lists/list%5b@name=%22a%22%5d",
	    root, sizeof(root), auid, sizeof(auid), xui, sizeof(xui), doc, sizeof(doc),
	    sel, sizeof(sel)), PRES_OK);
	ck_assert_str_eq(root, "https://xcap.example.com:8443/xcap-root");
	ck_assert_str_eq(auid, "resource-lists");
	ck_assert_str_eq(xui, "sip:joe@example.com");
	ck_assert_str_eq(doc, "index");
	ck_assert_str_eq(sel, "resource-lists/list[@name=\"a\"]");
	/* relative (entry-ref) and collection forms */
	ck_assert_int_eq(psip_xcap_uri_split("resource-lists/users/sip:joe@example.com/dir/f",
	    root, sizeof(root), auid, sizeof(auid), xui, sizeof(xui), doc, sizeof(doc),
	    sel, sizeof(sel)), PRES_OK);
	ck_assert_str_eq(root, "");
	ck_assert_str_eq(doc, "dir/f");
	ck_assert_str_eq(sel, "");
	ck_assert_int_eq(psip_xcap_uri_split("http://x/r/pres-rules/users/sip:joe@example.com/",
	    root, sizeof(root), auid, sizeof(auid), xui, sizeof(xui), doc, sizeof(doc),
	    sel, sizeof(sel)), PRES_OK);
	ck_assert_str_eq(root, "http://x/r");
	ck_assert_str_eq(auid, "pres-rules");
	ck_assert_str_eq(doc, "");
	/* bad input */
	ck_assert_int_eq(psip_xcap_uri_split("http://x/r/pres-rules/global/index",
	    root, sizeof(root), auid, sizeof(auid), xui, sizeof(xui), doc, sizeof(doc),
	    sel, sizeof(sel)), PRES_EINVAL);
	ck_assert_int_eq(psip_xcap_uri_split("http://x/r/a/users/sip:j%ZZ/index",
	    root, sizeof(root), auid, sizeof(auid), xui, sizeof(xui), doc, sizeof(doc),
	    sel, sizeof(sel)), PRES_EINVAL);
	ck_assert_int_eq(psip_xcap_uri_split("http://x/r/a/users/sip:j%00/index",
	    root, sizeof(root), auid, sizeof(auid), xui, sizeof(xui), doc, sizeof(doc),
	    sel, sizeof(sel)), PRES_EINVAL);
	ck_assert_int_eq(psip_xcap_uri_split("/users/x/index", root, sizeof(root), auid,
	    sizeof(auid), xui, sizeof(xui), doc, sizeof(doc), sel, sizeof(sel)), PRES_EINVAL);
}
END_TEST

static const char bob_pidf[] =
    "<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
    "entity=\"sip:bob@example.com\"><tuple id=\"t\"><status><basic>open</basic></status>"
    "</tuple></presence>";

START_TEST(test_list_body)
{
	struct psip_rls_part r[3];
	char *body = NULL, *ctype = NULL, *p, boundary[80];
	const char *q;

	memset(r, 0, sizeof(r));
	r[0].uri = "sip:bob@example.com"; r[0].name = "Bob"; r[0].inst = "i1";
	r[0].state = PRES_RLMI_ACTIVE; r[0].body = bob_pidf; r[0].len = strlen(bob_pidf);
	r[1].uri = "sip:carol@example.com"; r[1].inst = "i2";
	r[1].state = PRES_RLMI_TERMINATED; r[1].reason = "rejected";
	r[2].uri = "sip:dave@example.com"; r[2].inst = "i3"; r[2].state = PRES_RLMI_PENDING;
	ck_assert_int_eq(psip_rls_body("sip:list@example.com", 7, 1, "Friends", r, 3,
	    "example.com", &body, &ctype), PRES_OK);
	ck_assert_ptr_nonnull(strstr(ctype, "multipart/related;"));
	ck_assert_ptr_nonnull(strstr(ctype, "type=\"application/rlmi+xml\""));
	ck_assert_ptr_nonnull(strstr(ctype, "start=\"<rlmi-7@example.com>\""));
	q = strstr(ctype, "boundary=\"");
	ck_assert_ptr_nonnull(q);
	snprintf(boundary, sizeof(boundary), "--%s", q + 10);
	ck_assert_ptr_nonnull((p = strchr(boundary, '"')));
	*p = '\0';
	/* the RLMI root part comes first, then bob's document */
	ck_assert(strncmp(body, boundary, strlen(boundary)) == 0);
	p = strstr(body, "Content-ID: <rlmi-7@example.com>");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(body, "version=\"7\""));
	ck_assert_ptr_nonnull(strstr(body, "fullState=\"true\""));
	ck_assert_ptr_nonnull(strstr(body, "uri=\"sip:list@example.com\""));
	ck_assert_ptr_nonnull(strstr(body, "cid=\"i1@example.com\""));
	ck_assert_ptr_nonnull(strstr(body, "reason=\"rejected\""));
	ck_assert_ptr_nonnull(strstr(body, "state=\"pending\""));
	ck_assert(strstr(body, "Content-ID: <i1@example.com>") > p);
	ck_assert_ptr_null(strstr(body, "i2@example.com>"));	/* no body part for carol */
	ck_assert_ptr_nonnull(strstr(body, "<basic>open</basic>"));
	ck_assert_ptr_nonnull(strstr(body, "\r\n"));
	{	/* closing delimiter */
		char close[90];
		snprintf(close, sizeof(close), "%s--", boundary);
		ck_assert_ptr_nonnull(strstr(body, close));
	}
	free(body);
	free(ctype);
	/* partial state with the next version */
	ck_assert_int_eq(psip_rls_body("sip:list@example.com", 8, 0, NULL, r, 1,
	    "example.com", &body, &ctype), PRES_OK);
	ck_assert_ptr_nonnull(strstr(body, "version=\"8\""));
	ck_assert_ptr_nonnull(strstr(body, "fullState=\"false\""));
	ck_assert_ptr_null(strstr(body, "carol"));
	free(body);
	free(ctype);
}
END_TEST

/* RFC 5874 section 4 style: two documents of joe changed */
START_TEST(test_xcapdiff_doc)
{
	struct psip_xd *x = NULL;
	const char plain[] = "rls-services\tsip:joe@example.com\tindex\n"
	    "resource-lists\tsip:joe@example.com\t\n";
	char *b64 = psip_b64_encode(plain, strlen(plain)), extra[512], *body;

	ck_assert_ptr_nonnull(b64);
	snprintf(extra, sizeof(extra), "xdroot=http://xcap.example.com/root/\nxdw=%s\n", b64);
	free(b64);
	ck_assert_int_eq(psip_xd_load(NULL, extra, &x), PRES_OK);
	ck_assert_int_eq(psip_xd_change(x, "rls-services", JOE, "index", "6", "7"), 1);
	ck_assert_int_eq(psip_xd_change(x, "resource-lists", JOE, "friends", "2", "3"), 1);
	ck_assert_int_eq(psip_xd_change(x, "pres-rules", JOE, "index", "1", "2"), 0);
	ck_assert_int_eq(psip_xd_change(x, "rls-services", JOE, "other", "1", "2"), 0);
	ck_assert_int_eq(psip_xd_change(x, "resource-lists", "sip:ann@example.com", "friends",
	    "1", "2"), 0);
	/* created then changed again before the NOTIFY: one entry */
	ck_assert_int_eq(psip_xd_change(x, "resource-lists", JOE, "new", "", "a1"), 1);
	ck_assert_int_eq(psip_xd_change(x, "resource-lists", JOE, "new", "a1", "a2"), 1);
	body = psip_xd_body(NULL, x, 0);
	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_nonnull(strstr(body, "xmlns=\"urn:ietf:params:xml:ns:xcap-diff\""));
	ck_assert_ptr_nonnull(strstr(body, "xcap-root=\"http://xcap.example.com/root/\""));
	ck_assert_ptr_nonnull(strstr(body, "sel=\"rls-services/users/sip:joe@example.com/index\""));
	ck_assert_ptr_nonnull(strstr(body, "previous-etag=\"6\""));
	ck_assert_ptr_nonnull(strstr(body, "new-etag=\"7\""));
	ck_assert_ptr_nonnull(strstr(body, "sel=\"resource-lists/users/sip:joe@example.com/friends\""));
	ck_assert_ptr_nonnull(strstr(body, "new-etag=\"a2\""));
	ck_assert_ptr_null(strstr(body, "a1"));
	ck_assert_ptr_null(strstr(body, "pres-rules"));
	free(body);
	/* queue consumed: the next partial body is empty */
	body = psip_xd_body(NULL, x, 0);
	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_null(strstr(body, "<document"));
	free(body);
	/* deletion: previous-etag only */
	ck_assert_int_eq(psip_xd_change(x, "rls-services", JOE, "index", "7", ""), 1);
	body = psip_xd_body(NULL, x, 0);
	ck_assert_ptr_nonnull(strstr(body, "previous-etag=\"7\""));
	ck_assert_ptr_null(strstr(body, "new-etag"));
	free(body);
	/* persistence round trip */
	{
		char *saved = psip_xd_save(x);
		struct psip_xd *y = NULL;
		ck_assert_ptr_nonnull(saved);
		ck_assert_int_eq(psip_xd_load(NULL, saved, &y), PRES_OK);
		ck_assert_int_eq(psip_xd_change(y, "resource-lists", JOE, "x", "1", "2"), 1);
		psip_xd_free(y);
		free(saved);
	}
	psip_xd_free(x);
	ck_assert_int_eq(psip_xd_load(NULL, "xdw=!!!\n", &x), PRES_EINVAL);
}
END_TEST

START_TEST(test_b64)
{
	const char *in[] = { "", "a", "ab", "abc", "<filter-set/>\n" };
	size_t i, len;

	for (i = 1; i < PRES_ARRAY_LEN(in); i++) {
		char *e = psip_b64_encode(in[i], strlen(in[i]));
		char *d = e ? psip_b64_decode(e, &len) : NULL;
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(len, strlen(in[i]));
		ck_assert_str_eq(d, in[i]);
		free(e);
		free(d);
	}
	ck_assert_ptr_null(psip_b64_decode("abc", &len));
	ck_assert_ptr_null(psip_b64_decode("a?c=", &len));
}
END_TEST

static Suite *
rls_suite(void)
{
	Suite *s = suite_create("rls");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_expand_nested_refs_dups_cycles);
	tcase_add_test(tc, test_expand_inline_packages_missing);
	tcase_add_test(tc, test_uri_split);
	tcase_add_test(tc, test_list_body);
	tcase_add_test(tc, test_xcapdiff_doc);
	tcase_add_test(tc, test_b64);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rls_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
