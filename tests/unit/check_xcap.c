/* check_xcap.c - unit tests of the XCAP store (xcap/): URI and node selector
 * parsing, selection and insertion on trees, and the request handler on an
 * in-memory database (documents, elements, attributes, namespace bindings,
 * every <xcap-error> condition, ETags, app usages, authorization, events). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "pres.h"
#include "db/db.h"
#include "xcap/xcap.h"
#include "xcap/xcap_int.h"

#define ROOT "/xcap-root"
#define ALICE_SIP "sip:alice@ims.example.com"
#define RL_DOC ROOT "/resource-lists/users/" ALICE_SIP "/index"
#define RL_SEL RL_DOC "/~~/"
#define CT_RL "application/resource-lists+xml"
#define CT_EL "application/xcap-el+xml"
#define CT_ATT "application/xcap-att+xml"

static const char *const alice[] = { ALICE_SIP, "tel:+15550001" };
static const char *const bob[] = { "sip:bob@ims.example.com" };

static struct xcap *X;
static struct db *DB;

static void setup(void)
{
	struct xcap_cfg cfg = {
		.root_path = ROOT,
		.root_uri = NULL,
		.schema_dir = XCAP_SCHEMA_DIR,
		.max_doc_size = 64 * 1024,
		.home_domain = "ims.example.com",
	};
	ck_assert_int_eq(db_open(":memory:", &DB), PRES_OK);
	X = xcap_new(&cfg);
	ck_assert_ptr_nonnull(X);
}

static void teardown(void)
{
	xcap_free(X);
	db_close(DB);
	X = NULL;
	DB = NULL;
}

static char *slurp(const char *name)
{
	char path[512];
	FILE *f;
	long n;
	char *b;
	snprintf(path, sizeof(path), "%s/%s", XCAP_TEST_DATA, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	return b;
}

struct who {
	const char *const *impus;
	size_t n;
};
static const struct who AL = { alice, 2 }, BO = { bob, 1 };

static int req_full(const struct who *w, const char *method, const char *target,
    const char *ctype, const char *body, const char *if_match, const char *if_none_match,
    struct xcap_response *rs)
{
	struct xcap_request rq = {
		.method = method, .target = target, .content_type = ctype,
		.body = body, .body_len = body ? strlen(body) : 0,
		.if_match = if_match, .if_none_match = if_none_match,
		.impus = w->impus, .n_impus = w->n,
	};
	xcap_handle(X, DB, &rq, rs);
	return rs->status;
}

/* status of a request whose response we do not need */
static int req(const struct who *w, const char *method, const char *target,
    const char *ctype, const char *body)
{
	struct xcap_response rs = { 0 };
	int st = req_full(w, method, target, ctype, body, NULL, NULL, &rs);
	xcap_response_clear(&rs);
	return st;
}

/* The body of a GET (caller frees), with its status. */
static char *get(const struct who *w, const char *target, int *status, char *ctype_out)
{
	struct xcap_response rs = { 0 };
	char *b;
	*status = req_full(w, "GET", target, NULL, NULL, NULL, NULL, &rs);
	if (ctype_out)
		pres_strlcpy(ctype_out, rs.content_type, 128);
	b = rs.body ? strndup(rs.body, rs.body_len) : NULL;
	xcap_response_clear(&rs);
	return b;
}

/* Checks a 409 with an application/xcap-error+xml body that validates
 * against the RFC 4825 schema and carries @p tag. */
static void assert_xcap_error(const struct xcap_response *rs, const char *tag)
{
	char want[64];
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr sch;
	xmlSchemaValidCtxtPtr vc;
	xmlDocPtr d;

	ck_assert_int_eq(rs->status, 409);
	ck_assert_str_eq(rs->content_type, "application/xcap-error+xml");
	ck_assert_ptr_nonnull(rs->body);
	snprintf(want, sizeof(want), "<%s", tag);
	ck_assert_msg(strstr(rs->body, want) != NULL, "want %s in %s", tag, rs->body);
	ck_assert_ptr_nonnull(strstr(rs->body, "urn:ietf:params:xml:ns:xcap-error"));
	pc = xmlSchemaNewParserCtxt(XCAP_SCHEMA_DIR "/xcap-error.xsd");
	sch = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	ck_assert_ptr_nonnull(sch);
	d = xmlReadMemory(rs->body, (int)rs->body_len, NULL, NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(d);
	vc = xmlSchemaNewValidCtxt(sch);
	ck_assert_int_eq(xmlSchemaValidateDoc(vc, d), 0);
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(d);
	xmlSchemaFree(sch);
}

static void put_expect_error(const struct who *w, const char *target, const char *ctype,
    const char *body, const char *tag)
{
	struct xcap_response rs = { 0 };
	req_full(w, "PUT", target, ctype, body, NULL, NULL, &rs);
	assert_xcap_error(&rs, tag);
	xcap_response_clear(&rs);
}

static void put_rl_example(void)
{
	char *doc = slurp("rfc4826-resource-lists.xml");
	ck_assert_int_eq(req(&AL, "PUT", RL_DOC, CT_RL, doc), 201);
	free(doc);
}

/* ---- pure parsing --------------------------------------------------------- */

START_TEST(test_pct_decode)
{
	char *s = xcap_pct_decode("sip%3Aalice%40ims.example.com", 29);
	ck_assert_str_eq(s, "sip:alice@ims.example.com");
	free(s);
	s = xcap_pct_decode("%c3%a9", 6);
	ck_assert_str_eq(s, "\xc3\xa9");
	free(s);
	ck_assert_ptr_null(xcap_pct_decode("%4", 2));
	ck_assert_ptr_null(xcap_pct_decode("%zz", 3));
	ck_assert_ptr_null(xcap_pct_decode("a%00b", 5));
	ck_assert_ptr_null(xcap_pct_decode("%ff", 3));      /* not UTF-8 */
	ck_assert_ptr_null(xcap_pct_decode("%c0%af", 6));   /* overlong */
	s = xcap_pct_encode("list[@name=\"a b\"]", 17);
	ck_assert_str_eq(s, "list%5B@name=%22a%20b%22%5D");
	free(s);
}
END_TEST

START_TEST(test_uri_parse)
{
	struct xcap_uri u;

	ck_assert_int_eq(xcap_uri_parse(ROOT, RL_DOC, &u), 0);
	ck_assert_str_eq(u.au->auid, "resource-lists");
	ck_assert_int_eq(u.global, 0);
	ck_assert_str_eq(u.xui, ALICE_SIP);
	ck_assert_str_eq(u.doc, "index");
	ck_assert_int_eq(u.has_sel, 0);
	xcap_uri_free(&u);

	/* percent-encoded XUI, upper-case host: normalized */
	ck_assert_int_eq(xcap_uri_parse(ROOT,
	    ROOT "/resource-lists/users/sip%3Aalice%40IMS.Example.com/dir/my%20list", &u), 0);
	ck_assert_str_eq(u.xui, ALICE_SIP);
	ck_assert_str_eq(u.doc, "dir/my list");
	xcap_uri_free(&u);

	/* absolute-form, selector split at /~~/ then decoded */
	ck_assert_int_eq(xcap_uri_parse(ROOT, "https://xcap.ims.example.com:8443" RL_DOC
	    "/~~/resource-lists/list%5B@name=%22fr%2Fiends%22%5D/entry%5B2%5D", &u), 0);
	ck_assert_int_eq(u.has_sel, 1);
	ck_assert_int_eq(u.sel.n, 3);
	ck_assert_str_eq(u.sel.steps[1].name, "list");
	ck_assert_str_eq(u.sel.steps[1].att_value, "fr/iends");
	ck_assert_int_eq(u.sel.steps[2].pos, 2);
	ck_assert_str_eq(u.sel.steps[2].ns, "urn:ietf:params:xml:ns:resource-lists");
	ck_assert_str_eq(u.raw_doc, "resource-lists/users/" ALICE_SIP "/index");
	xcap_uri_free(&u);

	/* an XCAP root of "/" */
	ck_assert_int_eq(xcap_uri_parse("", "/pres-rules/users/" ALICE_SIP "/index", &u), 0);
	ck_assert_str_eq(u.au->auid, "pres-rules");
	xcap_uri_free(&u);

	ck_assert_int_eq(xcap_uri_parse(ROOT, ROOT "/xcap-caps/global/index", &u), 0);
	ck_assert_int_eq(u.global, 1);
	ck_assert_str_eq(u.xui, "");
	xcap_uri_free(&u);

	/* namespace bindings */
	ck_assert_int_eq(xcap_uri_parse(ROOT, RL_SEL "a:resource-lists/b:list"
	    "?xmlns(a=urn:ietf:params:xml:ns:resource-lists)xmlns(b=urn:x)", &u), 0);
	ck_assert_int_eq(u.n_nsb, 2);
	ck_assert_str_eq(u.sel.steps[1].ns, "urn:x");
	xcap_uri_free(&u);

	/* strictness */
	const struct { const char *t; int st; } bad[] = {
		{ ROOT "/unknown-auid/users/" ALICE_SIP "/index", 404 },
		{ "/other-root/resource-lists/users/" ALICE_SIP "/index", 404 },
		{ ROOT "/resource-lists/people/" ALICE_SIP "/index", 404 },
		{ ROOT "/resource-lists/users/" ALICE_SIP "/", 404 },
		{ ROOT "/resource-lists/users/" ALICE_SIP, 404 },
		{ ROOT "/resource-lists", 404 },
		{ ROOT "/resource-lists/users/" ALICE_SIP "/a/../index", 400 },
		{ ROOT "/resource-lists/users/" ALICE_SIP "/in%zzdex", 400 },
		{ ROOT "/resource-lists/users/" ALICE_SIP "/in%2Fdex", 400 },
		{ RL_SEL, 400 },
		{ RL_DOC "/~~", 400 },
		{ RL_SEL "resource-lists/", 400 },
		{ RL_SEL "p:resource-lists", 400 },              /* unbound prefix */
		{ RL_SEL "resource-lists?xmlns(p)", 400 },
		{ RL_SEL "resource-lists?foo", 400 },
		{ RL_SEL "resource-lists#frag", 400 },
		{ RL_SEL "resource-lists/list[1", 400 },
		{ RL_SEL "resource-lists/list[@name=friends]", 400 },
		{ "", 400 },
	};
	for (size_t i = 0; i < PRES_ARRAY_LEN(bad); i++) {
		ck_assert_msg(xcap_uri_parse(ROOT, bad[i].t, &u) == bad[i].st,
		    "%s: want %d", bad[i].t, bad[i].st);
		xcap_uri_free(&u);
	}
}
END_TEST

START_TEST(test_sel_parse)
{
	struct xcap_sel s;
	struct xcap_nsb nsb[] = { { "p", "urn:p" } };

	ck_assert_int_eq(xcap_sel_parse("a/b[2]/c[@x=\"1\"]/d[3][@y='v w']/@z", "urn:d",
	    NULL, 0, &s), 0);
	ck_assert_int_eq(s.n, 4);
	ck_assert_int_eq(s.steps[1].pos, 2);
	ck_assert_ptr_null(s.steps[1].att_name);
	ck_assert_str_eq(s.steps[2].att_name, "x");
	ck_assert_ptr_null(s.steps[2].att_ns);
	ck_assert_str_eq(s.steps[2].att_value, "1");
	ck_assert_int_eq(s.steps[3].pos, 3);
	ck_assert_str_eq(s.steps[3].att_value, "v w");
	ck_assert_int_eq(s.term, XCAP_TERM_ATTR);
	ck_assert_str_eq(s.att_name, "z");
	ck_assert_int_eq(s.steps[0].end, 1);
	ck_assert_int_eq(s.steps[1].end, 6);
	xcap_sel_free(&s);

	ck_assert_int_eq(xcap_sel_parse("*/p:x[@p:a=\"&quot;&amp;&#x41;&#66;\"]/namespace::*",
	    "urn:d", nsb, 1, &s), 0);
	ck_assert_str_eq(s.steps[0].name, "*");
	ck_assert_str_eq(s.steps[1].ns, "urn:p");
	ck_assert_str_eq(s.steps[1].att_ns, "urn:p");
	ck_assert_str_eq(s.steps[1].att_value, "\"&AB");
	ck_assert_int_eq(s.term, XCAP_TERM_NS);
	xcap_sel_free(&s);

	const char *bad[] = { "a[0]", "a[@x=1]", "a[@x=\"1\"][2]", "@x", "a//b", "a/",
	    "/a", "q:a", "a[@x=\"<\"]", "a[@x=\"&bogus;\"]", "a/namespace::*/b", "a/@x/b",
	    "1a", "a[1]]", "a[@x=\"1\"", "a/text()" };
	for (size_t i = 0; i < PRES_ARRAY_LEN(bad); i++) {
		ck_assert_msg(xcap_sel_parse(bad[i], "urn:d", nsb, 1, &s) == 400, "%s", bad[i]);
		xcap_sel_free(&s);
	}
}
END_TEST

START_TEST(test_att_value_codec)
{
	char *v = xcap_att_decode("a&lt;b&amp;c&#233;", 18);
	ck_assert_str_eq(v, "a<b&c\xc3\xa9");
	free(v);
	ck_assert_ptr_null(xcap_att_decode("a<b", 3));
	ck_assert_ptr_null(xcap_att_decode("a&b", 3));
	ck_assert_ptr_null(xcap_att_decode("a\"b", 3));
	v = xcap_att_encode("x<\"&>");
	ck_assert_str_eq(v, "x&lt;&quot;&amp;&gt;");
	free(v);
}
END_TEST

/* ---- selection on trees: RFC 4825's own example documents ---------------- */

static const char watcherinfo[] =
	"<?xml version=\"1.0\"?>\n"
	"<watcherinfo xmlns=\"urn:ietf:params:xml:ns:watcherinfo\" version=\"0\" state=\"full\">\n"
	"  <watcher-list resource=\"sip:professor@example.net\" package=\"presence\">\n"
	"    <watcher status=\"active\" id=\"8ajksjda7s\" duration-subscribed=\"509\"\n"
	"      event=\"approved\">sip:userA@example.net</watcher>\n"
	"    <watcher status=\"pending\" id=\"hh8juja87s997-ass7\"\n"
	"      display-name=\"Mr. Subscriber\" event=\"subscribe\">sip:userB@example.org</watcher>\n"
	"  </watcher-list>\n"
	"</watcherinfo>\n";

static const char nsdoc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<foo xmlns=\"urn:test:default-namespace\">\n"
	"  <ns1:bar xmlns:ns1=\"urn:test:namespace1-uri\" xmlns=\"urn:test:namespace1-uri\">\n"
	"    <baz/>\n"
	"    <ns2:baz xmlns:ns2=\"urn:test:namespace2-uri\"/>\n"
	"  </ns1:bar>\n"
	"  <ns3:hi xmlns:ns3=\"urn:test:namespace3-uri\">\n"
	"    <there/>\n"
	"  </ns3:hi>\n"
	"</foo>\n";

static size_t count_sel(xmlDocPtr d, const char *sel, const char *dns,
    const struct xcap_nsb *nsb, size_t n_nsb, xmlNodePtr *first)
{
	struct xcap_sel s;
	size_t n;
	ck_assert_msg(xcap_sel_parse(sel, dns, nsb, n_nsb, &s) == 0, "parse %s", sel);
	n = xcap_select(d, s.steps, s.n, first);
	xcap_sel_free(&s);
	return n;
}

START_TEST(test_select_watcherinfo)
{
	struct xcap_err e = { 0 };
	xmlDocPtr d = xcap_parse_doc(watcherinfo, strlen(watcherinfo), &e);
	const char *ns = "urn:ietf:params:xml:ns:watcherinfo";
	xmlNodePtr n;
	xmlChar *v;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(count_sel(d, "watcherinfo/watcher-list/watcher[@id=\"8ajksjda7s\"]",
	    ns, NULL, 0, &n), 1);
	v = xmlNodeGetContent(n);
	ck_assert_str_eq((char *)v, "sip:userA@example.net");
	xmlFree(v);
	ck_assert_int_eq(count_sel(d, "watcherinfo/watcher-list/watcher[2]", ns, NULL, 0, &n), 1);
	v = xmlGetProp(n, BAD_CAST "status");
	ck_assert_str_eq((char *)v, "pending");
	xmlFree(v);
	ck_assert_int_eq(count_sel(d, "watcherinfo/watcher-list/watcher", ns, NULL, 0, &n), 2);
	ck_assert_int_eq(count_sel(d, "watcherinfo/watcher-list/*", ns, NULL, 0, &n), 2);
	ck_assert_int_eq(count_sel(d, "watcherinfo/watcher-list/watcher[3]", ns, NULL, 0, &n), 0);
	ck_assert_int_eq(count_sel(d, "watcherinfo/watcher-list/watcher[@id='nope']", ns, NULL, 0, &n), 0);
	ck_assert_int_eq(count_sel(d, "watcherinfo/watcher-list/watcher[1][@status=\"pending\"]",
	    ns, NULL, 0, &n), 0);
	ck_assert_int_eq(count_sel(d, "watcherinfo/watcher-list/watcher[2][@status=\"pending\"]",
	    ns, NULL, 0, &n), 1);
	ck_assert_int_eq(count_sel(d, "*/*[1]/*[@event=\"subscribe\"]", ns, NULL, 0, &n), 1);
	ck_assert_int_eq(count_sel(d, "watcherinfo[2]", ns, NULL, 0, &n), 0);
	/* no prefix means the application usage's namespace, not "none" */
	ck_assert_int_eq(count_sel(d, "watcherinfo", "urn:other", NULL, 0, &n), 0);
	xmlFreeDoc(d);
}
END_TEST

START_TEST(test_select_namespaces)
{
	struct xcap_err e = { 0 };
	xmlDocPtr d = xcap_parse_doc(nsdoc, strlen(nsdoc), &e);
	const char *dns = "urn:test:default-namespace";
	struct xcap_nsb nsb[] = { { "a", "urn:test:namespace1-uri" },
	    { "b", "urn:test:namespace1-uri" }, { "c", "urn:test:namespace2-uri" } };
	xmlNodePtr n;
	size_t len;
	char *body;

	ck_assert_ptr_nonnull(d);
	/* RFC 4825 section 6.4: foo/a:bar/b:baz selects the unprefixed <baz> */
	ck_assert_int_eq(count_sel(d, "foo/a:bar/b:baz", dns, nsb, 3, &n), 1);
	ck_assert_ptr_null(n->ns->prefix);
	ck_assert_int_eq(count_sel(d, "foo/a:bar/c:baz", dns, nsb, 3, &n), 1);
	ck_assert_str_eq((char *)n->ns->prefix, "ns2");
	ck_assert_int_eq(count_sel(d, "foo/bar", dns, nsb, 3, &n), 0);
	ck_assert_int_eq(count_sel(d, "foo/a:bar/*", dns, nsb, 3, &n), 2);
	ck_assert_int_eq(count_sel(d, "foo/*[2]/*", dns, nsb, 3, &n), 1);
	/* namespace bindings in scope of <ns1:bar> */
	ck_assert_int_eq(count_sel(d, "foo/a:bar", dns, nsb, 3, &n), 1);
	body = xcap_ns_body(n, &len);
	ck_assert_ptr_nonnull(strstr(body, "<ns1:bar "));
	ck_assert_ptr_nonnull(strstr(body, "xmlns:ns1=\"urn:test:namespace1-uri\""));
	ck_assert_ptr_nonnull(strstr(body, "xmlns=\"urn:test:namespace1-uri\""));
	ck_assert_ptr_null(strstr(body, "urn:test:default-namespace"));
	ck_assert_ptr_null(strstr(body, "namespace3"));
	free(body);
	/* element fetch gives the element as written */
	body = xcap_node_dump(n, &len);
	ck_assert_int_eq(strncmp(body, "<ns1:bar xmlns:ns1=", 19), 0);
	free(body);
	xmlFreeDoc(d);
}
END_TEST

START_TEST(test_insert_positions)
{
	static const char doc[] = "<r xmlns=\"urn:t\"><a i=\"1\"/><b/><a i=\"2\"/><c/></r>";
	struct xcap_err e = { 0 };
	struct { const char *sel; const char *expect; int ok; } cases[] = {
		{ "r/a[2]", "<a i=\"1\"/><a i=\"new\"/><b/><a i=\"2\"/><c/>", 0 },
		{ "r/a[1]", "<a i=\"new\"/><a i=\"1\"/><b/>", 0 },
		{ "r/a[3]", "<a i=\"2\"/><a i=\"new\"/><c/>", 0 },
		{ "r/a[@i=\"new\"]", "<a i=\"2\"/><a i=\"new\"/><c/>", 0 },
		{ "r/d", "<c/><a i=\"new\"/></r>", 0 },
		{ "r/*[5]", "<c/><a i=\"new\"/></r>", 0 },
		{ "r/a[5]", NULL, -1 },
	};
	for (size_t i = 0; i < PRES_ARRAY_LEN(cases); i++) {
		xmlDocPtr d = xcap_parse_doc(doc, strlen(doc), &e);
		struct xcap_sel s;
		xmlNodePtr parent, el;
		size_t len;
		char *out;
		ck_assert_int_eq(xcap_sel_parse(cases[i].sel, "urn:t", NULL, 0, &s), 0);
		ck_assert_int_eq(xcap_select(d, s.steps, s.n - 1, &parent), 1);
		el = xcap_parse_frag(parent, "<a i=\"new\"/>", 12, &e);
		ck_assert_ptr_nonnull(el);
		ck_assert_int_eq(xcap_insert(parent, &s.steps[s.n - 1], el), cases[i].ok);
		if (cases[i].ok == 0) {
			out = xcap_doc_dump(d, &len);
			ck_assert_msg(strstr(out, cases[i].expect) != NULL, "%s: %s", cases[i].sel, out);
			free(out);
		} else {
			xmlFreeNode(el);
		}
		xcap_sel_free(&s);
		xmlFreeDoc(d);
	}
}
END_TEST

START_TEST(test_parse_guards)
{
	struct xcap_err e = { 0 };
	static const char xxe[] = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]><r>&x;</r>";
	ck_assert_ptr_null(xcap_parse_doc(xxe, strlen(xxe), &e));
	ck_assert_str_eq(e.tag, "not-well-formed");
	ck_assert_ptr_null(xcap_parse_doc("<r>\xff</r>", 8, &e));
	ck_assert_str_eq(e.tag, "not-utf-8");
	ck_assert_ptr_null(xcap_parse_doc("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>",
	    46, &e));
	ck_assert_str_eq(e.tag, "not-utf-8");
	ck_assert_ptr_null(xcap_parse_doc("<r><a></r>", 10, &e));
	ck_assert_str_eq(e.tag, "not-well-formed");
	ck_assert_ptr_null(xcap_parse_doc("<p:r/>", 6, &e)); /* unbound prefix */
	xcap_err_clear(&e);
}
END_TEST

/* ---- the handler: documents -------------------------------------------------- */

START_TEST(test_doc_put_get_delete)
{
	char *doc = slurp("rfc4826-resource-lists.xml");
	struct xcap_response rs = { 0 };
	char etag1[80], ct[128];
	int st;
	char *b;

	ck_assert_int_eq(req_full(&AL, "PUT", RL_DOC, CT_RL, doc, NULL, NULL, &rs), 201);
	ck_assert_int_eq(rs.etag[0], '"');
	ck_assert_int_eq(strlen(rs.etag), 34);
	pres_strlcpy(etag1, rs.etag, sizeof(etag1));
	xcap_response_clear(&rs);

	ck_assert_int_eq(req_full(&AL, "GET", RL_DOC, NULL, NULL, NULL, NULL, &rs), 200);
	ck_assert_str_eq(rs.content_type, CT_RL);
	ck_assert_str_eq(rs.etag, etag1);
	ck_assert_int_eq(rs.body_len, strlen(doc));
	ck_assert_mem_eq(rs.body, doc, strlen(doc));
	xcap_response_clear(&rs);

	/* the same document through the tel: IMPU's view and an encoded XUI */
	b = get(&AL, ROOT "/resource-lists/users/sip%3Aalice%40ims.example.com/index", &st, ct);
	ck_assert_int_eq(st, 200);
	free(b);

	ck_assert_int_eq(req_full(&AL, "PUT", RL_DOC, CT_RL, doc, NULL, NULL, &rs), 200);
	ck_assert_str_ne(rs.etag, etag1);
	xcap_response_clear(&rs);

	ck_assert_int_eq(req_full(&AL, "DELETE", RL_DOC, NULL, NULL, NULL, NULL, &rs), 200);
	ck_assert_str_eq(rs.etag, "");
	xcap_response_clear(&rs);
	ck_assert_int_eq(req(&AL, "GET", RL_DOC, NULL, NULL), 404);
	ck_assert_int_eq(req(&AL, "DELETE", RL_DOC, NULL, NULL), 404);
	free(doc);
}
END_TEST

START_TEST(test_rfc_examples_accepted)
{
	struct { const char *file, *auid, *mime; } ex[] = {
		{ "rfc5025-pres-rules.xml", "pres-rules", "application/auth-policy+xml" },
		{ "oma-pres-rules.xml", "org.openmobilealliance.pres-rules", "application/auth-policy+xml" },
		{ "rfc4826-resource-lists.xml", "resource-lists", CT_RL },
		{ "rfc4826-rls-services.xml", "rls-services", "application/rls-services+xml" },
		{ "rfc4827-pidf.xml", "pidf-manipulation", "application/pidf+xml" },
	};
	for (size_t i = 0; i < PRES_ARRAY_LEN(ex); i++) {
		char t[256], *doc = slurp(ex[i].file);
		struct xcap_response rs = { 0 };
		snprintf(t, sizeof(t), ROOT "/%s/users/" ALICE_SIP "/index", ex[i].auid);
		req_full(&AL, "PUT", t, ex[i].mime, doc, NULL, NULL, &rs);
		ck_assert_msg(rs.status == 201, "%s: %d %.*s", ex[i].file, rs.status,
		    (int)rs.body_len, rs.body ? rs.body : "");
		xcap_response_clear(&rs);
		free(doc);
	}
}
END_TEST

START_TEST(test_pres_rules_selectors)
{
	char *doc = slurp("rfc5025-pres-rules.xml"), *b;
	int st;
	ck_assert_int_eq(req(&AL, "PUT", ROOT "/pres-rules/users/" ALICE_SIP "/index",
	    "application/auth-policy+xml", doc), 201);
	/* RFC 5025: the default namespace is pres-rules', so common-policy's
	 * elements need a binding */
	b = get(&AL, ROOT "/pres-rules/users/" ALICE_SIP "/index/~~/cp:ruleset/cp:rule%5B@id=%22a%22%5D"
	    "/cp:actions/sub-handling?xmlns(cp=urn:ietf:params:xml:ns:common-policy)", &st, NULL);
	ck_assert_int_eq(st, 200);
	ck_assert_ptr_nonnull(strstr(b, ">allow</pr:sub-handling>"));
	free(b);
	ck_assert_int_eq(req(&AL, "PUT", ROOT "/pres-rules/users/" ALICE_SIP "/index/~~/cp:ruleset"
	    "/cp:rule%5B@id=%22a%22%5D/cp:actions/sub-handling?xmlns(cp=urn:ietf:params:xml:ns:common-policy)",
	    CT_EL, "<sub-handling>block</sub-handling>"), 200);
	b = get(&AL, ROOT "/pres-rules/users/" ALICE_SIP "/index", &st, NULL);
	ck_assert_ptr_nonnull(strstr(b, ">block</sub-handling>"));
	free(b);
	/* schema: an unknown sub-handling value */
	put_expect_error(&AL, ROOT "/pres-rules/users/" ALICE_SIP "/index/~~/cp:ruleset"
	    "/cp:rule%5B@id=%22a%22%5D/cp:actions/sub-handling?xmlns(cp=urn:ietf:params:xml:ns:common-policy)",
	    CT_EL, "<sub-handling>maybe</sub-handling>", "schema-validation-error");
	/* rule ids are unique */
	put_expect_error(&AL, ROOT "/pres-rules/users/" ALICE_SIP "/index/~~/cp:ruleset"
	    "/cp:rule%5B2%5D?xmlns(cp=urn:ietf:params:xml:ns:common-policy)", CT_EL,
	    "<cr:rule id=\"a\"/>", "uniqueness-failure");
	/* a prefix bound only in the request URI is not bound in the document */
	put_expect_error(&AL, ROOT "/pres-rules/users/" ALICE_SIP "/index/~~/cp:ruleset"
	    "/cp:rule%5B2%5D?xmlns(cp=urn:ietf:params:xml:ns:common-policy)", CT_EL,
	    "<cp:rule id=\"b\"/>", "not-xml-frag");
	/* OMA pres-rules: default namespace common-policy */
	free(doc);
	doc = slurp("oma-pres-rules.xml");
	ck_assert_int_eq(req(&AL, "PUT", ROOT "/org.openmobilealliance.pres-rules/users/" ALICE_SIP
	    "/index", "application/auth-policy+xml", doc), 201);
	b = get(&AL, ROOT "/org.openmobilealliance.pres-rules/users/" ALICE_SIP
	    "/index/~~/ruleset/rule%5B@id=%22rule_anon%22%5D/@id", &st, NULL);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(b, "rule_anon");
	free(b);
	free(doc);
}
END_TEST

/* ---- elements, attributes, namespace bindings ----------------------------------- */

START_TEST(test_element_ops)
{
	struct xcap_response rs = { 0 };
	char ct[128], *b;
	int st;

	put_rl_example();
	b = get(&AL, RL_SEL "resource-lists/list%5B@name=%22friends%22%5D/entry%5B@uri=%22sip:bill@example.com%22%5D",
	    &st, ct);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(ct, CT_EL);
	ck_assert_int_eq(strncmp(b, "<entry uri=\"sip:bill@example.com\">", 34), 0);
	ck_assert_ptr_nonnull(strstr(b, "</entry>"));
	free(b);
	/* more than one match, or none: 404 */
	ck_assert_int_eq(req(&AL, "GET", RL_SEL "resource-lists/list/list/entry", NULL, NULL), 404);
	ck_assert_int_eq(req(&AL, "GET", RL_SEL "resource-lists/list/entry%5B9%5D", NULL, NULL), 404);

	/* create: after the last <entry> sibling */
	ck_assert_int_eq(req_full(&AL, "PUT", RL_SEL "resource-lists/list%5B@name=%22friends%22%5D"
	    "/entry%5B@uri=%22sip:carol@example.com%22%5D", CT_EL,
	    "<entry uri=\"sip:carol@example.com\"><display-name>Carol</display-name></entry>",
	    NULL, NULL, &rs), 201);
	ck_assert_int_eq(rs.etag[0], '"');
	xcap_response_clear(&rs);
	b = get(&AL, RL_DOC, &st, NULL);
	ck_assert_ptr_nonnull(strstr(b, "</entry><entry uri=\"sip:carol@example.com\">"));
	ck_assert(strstr(b, "sip:carol") < strstr(b, "<entry-ref"));
	free(b);
	/* the element as written, with a prefix bound in the document */
	ck_assert_int_eq(req(&AL, "GET", RL_SEL "resource-lists/list%5B1%5D/entry%5B2%5D", NULL, NULL), 200);
	/* replace */
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list%5B@name=%22friends%22%5D"
	    "/entry%5B@uri=%22sip:carol@example.com%22%5D", CT_EL,
	    "<entry uri=\"sip:carol@example.com\"><display-name>Carol C.</display-name></entry>"), 200);
	b = get(&AL, RL_SEL "resource-lists/list/entry%5B2%5D/display-name", &st, NULL);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(b, "<display-name>Carol C.</display-name>");
	free(b);
	/* positional insert: becomes the first entry */
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list%5B1%5D/entry%5B1%5D", CT_EL,
	    "<entry uri=\"sip:first@example.com\"/>"), 200); /* existing entry[1] is replaced */
	ck_assert_int_eq(req(&AL, "GET", RL_SEL "resource-lists/list/entry%5B@uri=%22sip:bill@example.com%22%5D",
	    NULL, NULL), 404);
	/* delete */
	ck_assert_int_eq(req(&AL, "DELETE", RL_SEL "resource-lists/list/entry%5B@uri=%22sip:first@example.com%22%5D",
	    NULL, NULL), 200);
	ck_assert_int_eq(req(&AL, "GET", RL_SEL "resource-lists/list/entry%5B@uri=%22sip:first@example.com%22%5D",
	    NULL, NULL), 404);
	ck_assert_int_eq(req(&AL, "DELETE", RL_SEL "resource-lists/list/entry%5B@uri=%22sip:first@example.com%22%5D",
	    NULL, NULL), 404);
	/* whole document element replaced */
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists", CT_EL,
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list name=\"x\"/></resource-lists>"), 200);
	ck_assert_int_eq(req(&AL, "GET", RL_SEL "resource-lists/list%5B@name=%22x%22%5D", NULL, NULL), 200);
}
END_TEST

START_TEST(test_attribute_ops)
{
	char ct[128], *b;
	int st;

	put_rl_example();
	b = get(&AL, RL_SEL "resource-lists/list%5B1%5D/@name", &st, ct);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(ct, CT_ATT);
	ck_assert_str_eq(b, "friends");
	free(b);
	ck_assert_int_eq(req(&AL, "GET", RL_SEL "resource-lists/list%5B1%5D/@nope", NULL, NULL), 404);
	/* replace an attribute: selected by position, so still selected */
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list%5B1%5D/@name", CT_ATT,
	    "pals &amp; co"), 200);
	b = get(&AL, RL_SEL "resource-lists/list%5B@name=%22pals%20&amp;%20co%22%5D/@name", &st, NULL);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(b, "pals &amp; co");
	free(b);
	/* create an optional attribute: 201, delete it: 200 */
	ck_assert_int_eq(req(&AL, "DELETE", RL_SEL "resource-lists/list%5B1%5D/list%5B1%5D/@name",
	    NULL, NULL), 200);
	ck_assert_int_eq(req(&AL, "GET", RL_SEL "resource-lists/list%5B1%5D/list%5B1%5D/@name",
	    NULL, NULL), 404);
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list%5B1%5D/list%5B1%5D/@name",
	    CT_ATT, "close"), 201);
	/* a required attribute cannot go */
	{
		struct xcap_response rs = { 0 };
		req_full(&AL, "DELETE", RL_SEL "resource-lists/list%5B1%5D/entry/@uri", NULL, NULL,
		    NULL, NULL, &rs);
		assert_xcap_error(&rs, "schema-validation-error");
		xcap_response_clear(&rs);
	}
	/* an unqualified attribute the schema does not allow */
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/entry/@color", CT_ATT, "red",
	    "schema-validation-error");
	/* a namespaced one is fine (anyAttribute ##other) */
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list%5B1%5D/entry/@x:color"
	    "?xmlns(x=urn:example:colors)", CT_ATT, "red"), 201);
	b = get(&AL, RL_SEL "resource-lists/list%5B1%5D/entry/@y:color?xmlns(y=urn:example:colors)", &st, NULL);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(b, "red");
	free(b);
	/* @xmlns is a namespace declaration, not an attribute: it would move the
	 * element and its subtree into another namespace */
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/@xmlns", CT_ATT, "urn:example:evil",
	    "cannot-insert");
	b = get(&AL, RL_SEL "resource-lists/list%5B1%5D/@name", &st, NULL);
	ck_assert_int_eq(st, 200);   /* still in its namespace: still selected */
	free(b);
	/* a new namespaced attribute whose prefix an ancestor binds to another
	 * namespace gets a fresh prefix: descendants keep theirs */
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list%5B1%5D/entry/@x:shade"
	    "?xmlns(x=urn:example:shades)", CT_ATT, "dark"), 201);
	b = get(&AL, RL_SEL "resource-lists/list%5B1%5D/entry/@y:color?xmlns(y=urn:example:colors)", &st, NULL);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(b, "red");
	free(b);
	b = get(&AL, RL_SEL "resource-lists/list%5B1%5D/entry/@s:shade?xmlns(s=urn:example:shades)", &st, NULL);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(b, "dark");
	free(b);
}
END_TEST

START_TEST(test_namespace_bindings)
{
	struct xcap_response rs = { 0 };

	put_rl_example();
	ck_assert_int_eq(req_full(&AL, "GET", RL_SEL "resource-lists/list%5B1%5D/namespace::*",
	    NULL, NULL, NULL, NULL, &rs), 200);
	ck_assert_str_eq(rs.content_type, "application/xcap-ns+xml");
	ck_assert_ptr_nonnull(strstr(rs.body, "<list "));
	ck_assert_ptr_nonnull(strstr(rs.body, "xmlns=\"urn:ietf:params:xml:ns:resource-lists\""));
	ck_assert_ptr_nonnull(strstr(rs.body, "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""));
	ck_assert_ptr_nonnull(strstr(rs.body, "/>"));
	ck_assert_int_eq(rs.etag[0], '"');
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&AL, "PUT", RL_SEL "resource-lists/list%5B1%5D/namespace::*",
	    CT_EL, "<x/>", NULL, NULL, &rs), 405);
	ck_assert_str_eq(rs.allow, "GET");
	xcap_response_clear(&rs);
	ck_assert_int_eq(req(&AL, "DELETE", RL_SEL "resource-lists/list%5B1%5D/namespace::*", NULL, NULL), 405);
}
END_TEST

/* ---- every <xcap-error> ----------------------------------------------------------- */

START_TEST(test_errors_document)
{
	put_expect_error(&AL, RL_DOC, CT_RL, "<resource-lists", "not-well-formed");
	put_expect_error(&AL, RL_DOC, CT_RL,
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\xc3\x28</resource-lists>",
	    "not-utf-8");
	put_expect_error(&AL, RL_DOC, CT_RL, "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>"
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>", "not-well-formed");
	put_expect_error(&AL, RL_DOC, CT_RL,
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><foo/></resource-lists>",
	    "schema-validation-error");
	put_expect_error(&AL, RL_DOC, CT_RL,
	    "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\"/>", "schema-validation-error");
	put_expect_error(&AL, RL_DOC, CT_RL,
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
	    "<list name=\"a\"><entry-ref ref=\"http://elsewhere.example.com/x\"/></list></resource-lists>",
	    "constraint-failure");
	/* nothing was stored by any of them */
	ck_assert_int_eq(req(&AL, "GET", RL_DOC, NULL, NULL), 404);
}
END_TEST

START_TEST(test_errors_uniqueness)
{
	struct xcap_response rs = { 0 };

	req_full(&AL, "PUT", RL_DOC, CT_RL,
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
	    "<list name=\"friends\"/><list name=\"friends\"/></resource-lists>", NULL, NULL, &rs);
	assert_xcap_error(&rs, "uniqueness-failure");
	ck_assert_ptr_nonnull(strstr(rs.body, "field=\"resource-lists/list[2]/@name\""));
	ck_assert_ptr_nonnull(strstr(rs.body, "<alt-value>friends-1</alt-value>"));
	xcap_response_clear(&rs);

	put_rl_example();
	/* the same entry URI twice in one list (compared as URIs) */
	req_full(&AL, "PUT", RL_SEL "resource-lists/list%5B1%5D/entry%5B2%5D", CT_EL,
	    "<entry uri=\"sip:bill@EXAMPLE.com\"/>", NULL, NULL, &rs);
	assert_xcap_error(&rs, "uniqueness-failure");
	ck_assert_ptr_nonnull(strstr(rs.body, "field=\"resource-lists/list/entry[2]/@uri\""));
	ck_assert_ptr_nonnull(strstr(rs.body, "<alt-value>sip:bill-1@EXAMPLE.com</alt-value>"));
	xcap_response_clear(&rs);
	/* but the same URI in another list is fine */
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list%5B1%5D/list%5B1%5D/entry%5B3%5D",
	    CT_EL, "<entry uri=\"sip:bill@example.com\"/>"), 201);
}
END_TEST

START_TEST(test_errors_elements)
{
	struct xcap_response rs = { 0 };

	/* element PUT into a missing document: no-parent, ancestor = the user's home */
	req_full(&AL, "PUT", RL_SEL "resource-lists/list", CT_EL, "<list/>", NULL, NULL, &rs);
	assert_xcap_error(&rs, "no-parent");
	ck_assert_ptr_nonnull(strstr(rs.body,
	    "<ancestor>/xcap-root/resource-lists/users/sip:alice@ims.example.com/</ancestor>"));
	xcap_response_clear(&rs);

	put_rl_example();
	/* no-parent: the closest existing ancestor */
	req_full(&AL, "PUT", RL_SEL "resource-lists/list%5B@name=%22friends%22%5D/list%5B@name=%22nope%22%5D"
	    "/entry", CT_EL, "<entry uri=\"sip:x@y\"/>", NULL, NULL, &rs);
	assert_xcap_error(&rs, "no-parent");
	ck_assert_ptr_nonnull(strstr(rs.body, "<ancestor>/xcap-root/resource-lists/users/"
	    "sip:alice@ims.example.com/index/~~/resource-lists/list%5B@name=%22friends%22%5D</ancestor>"));
	xcap_response_clear(&rs);
	req_full(&AL, "PUT", RL_SEL "resource-lists/list%5B@name=%22nope%22%5D/@name", CT_ATT, "x",
	    NULL, NULL, &rs);
	assert_xcap_error(&rs, "no-parent");
	ck_assert_ptr_nonnull(strstr(rs.body, "/index/~~/resource-lists</ancestor>"));
	xcap_response_clear(&rs);

	/* not-xml-frag: two elements, text, a comment-only body, an unbound prefix */
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/entry%5B9%5D", CT_EL,
	    "<entry uri=\"sip:a@x\"/><entry uri=\"sip:b@x\"/>", "not-xml-frag");
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/entry%5B2%5D", CT_EL,
	    "just text", "not-xml-frag");
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/entry%5B2%5D", CT_EL,
	    "<entry uri=\"sip:a@x\"", "not-xml-frag");
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/entry%5B2%5D", CT_EL,
	    "<q:entry uri=\"sip:a@x\"/>", "not-xml-frag");
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/entry%5B2%5D", CT_EL,
	    "<entry uri=\"\xff\"/>", "not-utf-8");
	/* not-xml-att-value */
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/@name", CT_ATT, "a<b",
	    "not-xml-att-value");
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/@name", CT_ATT, "a&b",
	    "not-xml-att-value");
	/* cannot-insert: the new element would not be selected by the URI */
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/entry%5B@uri=%22sip:a@x%22%5D",
	    CT_EL, "<entry uri=\"sip:b@x\"/>", "cannot-insert");
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/entry%5B@uri=%22sip:a@x%22%5D",
	    CT_EL, "<list name=\"sip:a@x\"/>", "cannot-insert");
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B1%5D/entry%5B5%5D", CT_EL,
	    "<entry uri=\"sip:a@x\"/>", "cannot-insert");
	put_expect_error(&AL, RL_SEL "resource-lists/list%5B@name=%22friends%22%5D/@name", CT_ATT,
	    "enemies", "cannot-insert");
	put_expect_error(&AL, RL_SEL "other-root", CT_EL, "<other-root/>", "cannot-insert");
	/* cannot-delete: entry[1] would select the next entry afterwards */
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list%5B1%5D/entry%5B2%5D", CT_EL,
	    "<entry uri=\"sip:two@example.com\"/>"), 201);
	req_full(&AL, "DELETE", RL_SEL "resource-lists/list%5B1%5D/entry%5B1%5D", NULL, NULL, NULL,
	    NULL, &rs);
	assert_xcap_error(&rs, "cannot-delete");
	xcap_response_clear(&rs);
	req_full(&AL, "DELETE", RL_SEL "resource-lists", NULL, NULL, NULL, NULL, &rs);
	assert_xcap_error(&rs, "cannot-delete");
	xcap_response_clear(&rs);
	/* the last one can go */
	ck_assert_int_eq(req(&AL, "DELETE", RL_SEL "resource-lists/list%5B1%5D/entry%5B2%5D", NULL, NULL), 200);
}
END_TEST

START_TEST(test_http_errors)
{
	struct xcap_response rs = { 0 }, rs2 = { 0 };
	char big[70 * 1024];

	put_rl_example();
	/* 415: media type must match the kind of resource */
	ck_assert_int_eq(req(&AL, "PUT", RL_DOC, "application/xml", "<x/>"), 415);
	ck_assert_int_eq(req(&AL, "PUT", RL_DOC, NULL, "<x/>"), 415);
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list", CT_RL, "<list/>"), 415);
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list/@name", CT_EL, "x"), 415);
	ck_assert_int_eq(req(&AL, "PUT", RL_DOC, "Application/Resource-Lists+XML; charset=utf-8",
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>"), 200);
	/* 413 */
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		static const char head[] = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">";
		memcpy(big, head, strlen(head));
	}
	ck_assert_int_eq(req(&AL, "PUT", RL_DOC, CT_RL, big), 413);
	/* 405 */
	ck_assert_int_eq(req_full(&AL, "POST", RL_DOC, CT_RL, "<x/>", NULL, NULL, &rs), 405);
	ck_assert_str_eq(rs.allow, "GET, PUT, DELETE");
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&AL, "PUT", ROOT "/xcap-caps/global/index",
	    "application/xcap-caps+xml", "<x/>", NULL, NULL, &rs), 405);
	ck_assert_str_eq(rs.allow, "GET");
	xcap_response_clear(&rs);
	ck_assert_int_eq(req(&AL, "DELETE", ROOT "/rls-services/global/index", NULL, NULL), 405);
	ck_assert_int_eq(req(&AL, "PUT", ROOT "/org.openmobilealliance.xcap-directory/users/"
	    ALICE_SIP "/directory.xml", "application/vnd.oma.xcap-directory+xml", "<x/>"), 405);
	/* 403: someone else's documents, existing or not, look the same */
	req_full(&BO, "GET", RL_DOC, NULL, NULL, NULL, NULL, &rs);
	req_full(&BO, "GET", ROOT "/resource-lists/users/" ALICE_SIP "/nonexistent", NULL, NULL,
	    NULL, NULL, &rs2);
	ck_assert_int_eq(rs.status, 403);
	ck_assert_int_eq(rs2.status, 403);
	ck_assert_int_eq(rs.body_len, rs2.body_len);
	ck_assert_str_eq(rs.etag, "");
	xcap_response_clear(&rs);
	xcap_response_clear(&rs2);
	ck_assert_int_eq(req(&BO, "PUT", RL_DOC, CT_RL, "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>"), 403);
	ck_assert_int_eq(req(&BO, "DELETE", RL_DOC, NULL, NULL), 403);
	ck_assert_int_eq(req(&BO, "GET", ROOT "/resource-lists/users/not-a-uri/index", NULL, NULL), 403);
	/* global is read-only for everybody */
	ck_assert_int_eq(req(&AL, "PUT", ROOT "/resource-lists/global/index", CT_RL, "<x/>"), 403);
	ck_assert_int_eq(req(&AL, "GET", ROOT "/resource-lists/global/index", NULL, NULL), 404);
	/* an administrator may */
	{
		struct xcap_request rq = { .method = "GET", .target = RL_DOC, .is_admin = 1 };
		xcap_handle(X, DB, &rq, &rs);
		ck_assert_int_eq(rs.status, 200);
		xcap_response_clear(&rs);
	}
	/* 400 / 404 from the URI */
	ck_assert_int_eq(req(&AL, "GET", RL_SEL "resource-lists/list%5B", NULL, NULL), 400);
	ck_assert_int_eq(req(&AL, "GET", ROOT "/no-such-auid/users/" ALICE_SIP "/index", NULL, NULL), 404);
}
END_TEST

/* ---- ETags and conditional requests -------------------------------------------- */

START_TEST(test_etags)
{
	struct xcap_response rs = { 0 };
	char e1[80], e2[80], weak[90];
	const char *doc = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>";

	/* If-Match on a missing document */
	ck_assert_int_eq(req_full(&AL, "PUT", RL_DOC, CT_RL, doc, "*", NULL, &rs), 412);
	xcap_response_clear(&rs);
	/* If-None-Match: * creates only */
	ck_assert_int_eq(req_full(&AL, "PUT", RL_DOC, CT_RL, doc, NULL, "*", &rs), 201);
	pres_strlcpy(e1, rs.etag, sizeof(e1));
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&AL, "PUT", RL_DOC, CT_RL, doc, NULL, "*", &rs), 412);
	xcap_response_clear(&rs);
	/* GET If-None-Match */
	ck_assert_int_eq(req_full(&AL, "GET", RL_DOC, NULL, NULL, NULL, e1, &rs), 304);
	ck_assert_str_eq(rs.etag, e1);
	ck_assert_ptr_null(rs.body);
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&AL, "GET", RL_DOC, NULL, NULL, NULL, "\"x\", \"y\"", &rs), 200);
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&AL, "GET", RL_SEL "resource-lists", NULL, NULL, NULL, e1, &rs), 304);
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&AL, "GET", RL_DOC, NULL, NULL, "\"nope\"", NULL, &rs), 412);
	xcap_response_clear(&rs);
	/* PUT If-Match */
	ck_assert_int_eq(req_full(&AL, "PUT", RL_DOC, CT_RL, doc, "\"wrong\"", NULL, &rs), 412);
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&AL, "PUT", RL_SEL "resource-lists/list", CT_EL, "<list/>",
	    e1, NULL, &rs), 201);
	pres_strlcpy(e2, rs.etag, sizeof(e2));
	ck_assert_str_ne(e1, e2);
	xcap_response_clear(&rs);
	/* a list with the current one matches; weak never matches strongly */
	snprintf(weak, sizeof(weak), "W/%s", e2);
	ck_assert_int_eq(req_full(&AL, "DELETE", RL_SEL "resource-lists/list", NULL, NULL, weak,
	    NULL, &rs), 412);
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&AL, "GET", RL_DOC, NULL, NULL, NULL, weak, &rs), 304);
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&AL, "DELETE", RL_DOC, NULL, NULL, e1, NULL, &rs), 412);
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&AL, "GET", RL_DOC, NULL, NULL, "garbage", NULL, &rs), 400);
	xcap_response_clear(&rs);
	{
		char list[200];
		snprintf(list, sizeof(list), "\"a\", %s", e2);
		ck_assert_int_eq(req_full(&AL, "DELETE", RL_DOC, NULL, NULL, list, NULL, &rs), 200);
		xcap_response_clear(&rs);
	}
	ck_assert_int_eq(req_full(&AL, "DELETE", RL_DOC, NULL, NULL, "*", NULL, &rs), 412);
	xcap_response_clear(&rs);
}
END_TEST

/* A concurrent writer between our read and our compare-and-set. */
static int race_left;
static void race(void *arg)
{
	struct db_doc d;
	(void)arg;
	if (race_left-- <= 0)
		return;
	ck_assert_int_eq(db_doc_get(DB, "resource-lists", ALICE_SIP, "index", &d), PRES_OK);
	/* the other writer adds a list named "theirs" */
	const char *doc = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
	    "<list name=\"theirs\"/></resource-lists>";
	static unsigned n;
	char etag[40];
	snprintf(etag, sizeof(etag), "feedface%024x", ++n);   /* a new version each time */
	ck_assert_int_eq(db_doc_put(DB, "resource-lists", ALICE_SIP, "index", doc, strlen(doc),
	    d.etag, etag), PRES_OK);
	db_doc_clear(&d);
}

START_TEST(test_no_lost_update)
{
	struct xcap_response rs = { 0 };
	char *b;
	int st;

	ck_assert_int_eq(req(&AL, "PUT", RL_DOC, CT_RL,
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>"), 201);
	X->race_hook = race;
	race_left = 1;
	/* unconditional: retried on the new version, both changes survive */
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list%5B@name=%22mine%22%5D", CT_EL,
	    "<list name=\"mine\"/>"), 201);
	b = get(&AL, RL_DOC, &st, NULL);
	ck_assert_ptr_nonnull(strstr(b, "name=\"theirs\""));
	ck_assert_ptr_nonnull(strstr(b, "name=\"mine\""));
	free(b);
	/* conditional: the client's precondition no longer holds */
	ck_assert_int_eq(req_full(&AL, "GET", RL_DOC, NULL, NULL, NULL, NULL, &rs), 200);
	char etag[80];
	pres_strlcpy(etag, rs.etag, sizeof(etag));
	xcap_response_clear(&rs);
	race_left = 1;
	ck_assert_int_eq(req_full(&AL, "PUT", RL_SEL "resource-lists/list%5B@name=%22late%22%5D",
	    CT_EL, "<list name=\"late\"/>", etag, NULL, &rs), 412);
	xcap_response_clear(&rs);
	X->race_hook = NULL;
	ck_assert_int_eq(req(&AL, "GET", RL_SEL "resource-lists/list%5B@name=%22late%22%5D", NULL, NULL), 404);
}
END_TEST

/* A writer that always loses the compare-and-set gives up with 503 after
 * its retries, and writes nothing of its own. */
START_TEST(test_cas_gives_up_503)
{
	char *b;
	int st;

	ck_assert_int_eq(req(&AL, "PUT", RL_DOC, CT_RL,
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>"), 201);
	X->race_hook = race;
	race_left = 1000;   /* a concurrent change before every attempt */
	ck_assert_int_eq(req(&AL, "PUT", RL_SEL "resource-lists/list%5B@name=%22mine%22%5D", CT_EL,
	    "<list name=\"mine\"/>"), 503);
	ck_assert_int_lt(race_left, 1000 - 1);   /* it did retry */
	X->race_hook = NULL;
	b = get(&AL, RL_DOC, &st, NULL);
	ck_assert_int_eq(st, 200);
	ck_assert_ptr_nonnull(strstr(b, "name=\"theirs\""));
	ck_assert_ptr_null(strstr(b, "name=\"mine\""));
	free(b);
}
END_TEST

/* ---- application usages ---------------------------------------------------------- */

START_TEST(test_rls_services_unique_and_index)
{
	struct xcap_response rs = { 0 };
	char *doc = slurp("rfc4826-rls-services.xml"), *b;
	char ct[128], e1[80];
	int st;

	ck_assert_int_eq(req(&AL, "PUT", ROOT "/rls-services/users/" ALICE_SIP "/index",
	    "application/rls-services+xml", doc), 201);
	/* Bob cannot take a service URI that Alice has */
	req_full(&BO, "PUT", ROOT "/rls-services/users/sip:bob@ims.example.com/index",
	    "application/rls-services+xml",
	    "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\">"
	    "<service uri=\"sip:mybuddies@example.com\">"
	    "<resource-list>http://x/resource-lists/users/sip:bob@ims.example.com/index</resource-list>"
	    "</service></rls-services>", NULL, NULL, &rs);
	assert_xcap_error(&rs, "uniqueness-failure");
	ck_assert_ptr_nonnull(strstr(rs.body, "field=\"rls-services/service/@uri\""));
	ck_assert_ptr_nonnull(strstr(rs.body, "<alt-value>sip:mybuddies-1@example.com</alt-value>"));
	xcap_response_clear(&rs);
	/* nor within one document */
	put_expect_error(&AL, ROOT "/rls-services/users/" ALICE_SIP "/index/~~/rls-services/service%5B3%5D",
	    "application/xcap-el+xml",
	    "<service uri=\"sip:marketing@example.com\"><resource-list>http://x/y</resource-list></service>",
	    "uniqueness-failure");
	/* Alice may rewrite her own document with the same URIs */
	ck_assert_int_eq(req(&AL, "PUT", ROOT "/rls-services/users/" ALICE_SIP "/index",
	    "application/rls-services+xml", doc), 200);
	ck_assert_int_eq(req(&BO, "PUT", ROOT "/rls-services/users/sip:bob@ims.example.com/index",
	    "application/rls-services+xml",
	    "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\">"
	    "<service uri=\"sip:bobs-buddies@example.com\">"
	    "<resource-list>http://x/resource-lists/users/sip:bob@ims.example.com/index</resource-list>"
	    "</service></rls-services>"), 201);
	/* the global index aggregates every user's services, read-only */
	ck_assert_int_eq(req_full(&BO, "GET", ROOT "/rls-services/global/index", NULL, NULL, NULL,
	    NULL, &rs), 200);
	ck_assert_str_eq(rs.content_type, "application/rls-services+xml");
	ck_assert_ptr_nonnull(strstr(rs.body, "sip:mybuddies@example.com"));
	ck_assert_ptr_nonnull(strstr(rs.body, "sip:marketing@example.com"));
	ck_assert_ptr_nonnull(strstr(rs.body, "sip:bobs-buddies@example.com"));
	ck_assert_ptr_nonnull(strstr(rs.body, "sip:sudhir@example.com"));
	pres_strlcpy(e1, rs.etag, sizeof(e1));
	ck_assert_int_eq(e1[0], '"');
	xcap_response_clear(&rs);
	ck_assert_int_eq(req_full(&BO, "GET", ROOT "/rls-services/global/index", NULL, NULL, NULL,
	    e1, &rs), 304);
	xcap_response_clear(&rs);
	b = get(&BO, ROOT "/rls-services/global/index/~~/rls-services/service%5B@uri=%22sip:bobs-buddies@example.com%22%5D/resource-list",
	    &st, ct);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(ct, CT_EL);
	free(b);
	/* the index changes with the documents */
	ck_assert_int_eq(req(&BO, "DELETE", ROOT "/rls-services/users/sip:bob@ims.example.com/index",
	    NULL, NULL), 200);
	ck_assert_int_eq(req_full(&BO, "GET", ROOT "/rls-services/global/index", NULL, NULL, NULL,
	    e1, &rs), 200);
	ck_assert_ptr_null(strstr(rs.body, "bobs-buddies"));
	xcap_response_clear(&rs);
	free(doc);
}
END_TEST

START_TEST(test_xcap_caps)
{
	char ct[128], *b;
	int st;
	const char *want[] = { "<auid>xcap-caps</auid>", "<auid>pres-rules</auid>",
	    "<auid>org.openmobilealliance.pres-rules</auid>", "<auid>resource-lists</auid>",
	    "<auid>rls-services</auid>", "<auid>pidf-manipulation</auid>",
	    "<auid>org.openmobilealliance.xcap-directory</auid>",
	    "<namespace>urn:ietf:params:xml:ns:common-policy</namespace>",
	    "<namespace>urn:ietf:params:xml:ns:pres-rules</namespace>",
	    "<namespace>urn:oma:xml:xdm:common-policy</namespace>",
	    "<namespace>urn:ietf:params:xml:ns:resource-lists</namespace>",
	    "<namespace>urn:ietf:params:xml:ns:rls-services</namespace>",
	    "<namespace>urn:ietf:params:xml:ns:pidf</namespace>",
	    "xmlns=\"urn:ietf:params:xml:ns:xcap-caps\"" };

	b = get(&BO, ROOT "/xcap-caps/global/index", &st, ct);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(ct, "application/xcap-caps+xml");
	for (size_t i = 0; i < PRES_ARRAY_LEN(want); i++)
		ck_assert_msg(strstr(b, want[i]) != NULL, "missing %s", want[i]);
	/* namespaces listed once */
	ck_assert_ptr_null(strstr(strstr(b, "ns:common-policy</namespace>") + 1, "ns:common-policy</namespace>"));
	free(b);
	b = get(&BO, ROOT "/xcap-caps/global/index/~~/xcap-caps/auids/auid%5B3%5D", &st, ct);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(b, "<auid>org.openmobilealliance.pres-rules</auid>");
	free(b);
	ck_assert_int_eq(req(&BO, "GET", ROOT "/xcap-caps/global/other", NULL, NULL), 404);
}
END_TEST

START_TEST(test_directory)
{
	struct xcap_response rs = { 0 };
	char *doc = slurp("rfc5025-pres-rules.xml"), etag_rl[80], want[256], *b;
	int st;

	req_full(&AL, "PUT", RL_DOC, CT_RL, "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>",
	    NULL, NULL, &rs);
	snprintf(etag_rl, sizeof(etag_rl), "%.*s", (int)strlen(rs.etag) - 2, rs.etag + 1);
	xcap_response_clear(&rs);
	ck_assert_int_eq(req(&AL, "PUT", ROOT "/pres-rules/users/" ALICE_SIP "/index",
	    "application/auth-policy+xml", doc), 201);
	ck_assert_int_eq(req(&BO, "PUT", ROOT "/resource-lists/users/sip:bob@ims.example.com/bobs",
	    CT_RL, "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>"), 201);

	ck_assert_int_eq(req_full(&AL, "GET", ROOT "/org.openmobilealliance.xcap-directory/users/"
	    ALICE_SIP "/directory.xml", NULL, NULL, NULL, NULL, &rs), 200);
	ck_assert_str_eq(rs.content_type, "application/vnd.oma.xcap-directory+xml");
	ck_assert_ptr_nonnull(strstr(rs.body, "xmlns=\"urn:oma:xml:xdm:xcap-directory\""));
	ck_assert_ptr_nonnull(strstr(rs.body, "<folder auid=\"resource-lists\">"));
	ck_assert_ptr_nonnull(strstr(rs.body, "<folder auid=\"pres-rules\">"));
	snprintf(want, sizeof(want), "uri=\"/xcap-root/resource-lists/users/%s/index\" etag=\"%s\"",
	    ALICE_SIP, etag_rl);
	ck_assert_msg(strstr(rs.body, want) != NULL, "%s", rs.body);
	ck_assert_ptr_nonnull(strstr(rs.body, "/xcap-root/pres-rules/users/sip:alice@ims.example.com/index"));
	ck_assert_ptr_null(strstr(rs.body, "bob"));
	xcap_response_clear(&rs);
	b = get(&BO, ROOT "/org.openmobilealliance.xcap-directory/users/sip:bob@ims.example.com/directory.xml",
	    &st, NULL);
	ck_assert_int_eq(st, 200);
	ck_assert_ptr_nonnull(strstr(b, "/users/sip:bob@ims.example.com/bobs\""));
	ck_assert_ptr_null(strstr(b, "alice"));
	free(b);
	ck_assert_int_eq(req(&BO, "GET", ROOT "/org.openmobilealliance.xcap-directory/users/"
	    ALICE_SIP "/directory.xml", NULL, NULL), 403);
	ck_assert_int_eq(req(&AL, "GET", ROOT "/org.openmobilealliance.xcap-directory/users/"
	    ALICE_SIP "/other.xml", NULL, NULL), 404);
	free(doc);
}
END_TEST

/* ---- change events ------------------------------------------------------------------ */

struct ev_log {
	int n;
	char auid[64], xui[128], doc[64], old_etag[64], new_etag[64];
	int has_content;
	size_t len;
};

static void on_change(const struct xcap_change *ev, void *arg)
{
	struct ev_log *l = arg;
	l->n++;
	snprintf(l->auid, sizeof(l->auid), "%s", ev->auid);
	snprintf(l->xui, sizeof(l->xui), "%s", ev->xui);
	snprintf(l->doc, sizeof(l->doc), "%s", ev->doc_name);
	snprintf(l->old_etag, sizeof(l->old_etag), "%s", ev->old_etag);
	snprintf(l->new_etag, sizeof(l->new_etag), "%s", ev->new_etag);
	l->has_content = ev->new_content != NULL;
	l->len = ev->new_len;
	if (ev->new_content)
		ck_assert_ptr_nonnull(strstr(ev->new_content, "resource-lists"));
}

START_TEST(test_change_events)
{
	struct ev_log l = { 0 };
	struct xcap_response rs = { 0 };
	char e1[80], e2[80];

	xcap_set_change_cb(X, on_change, &l);
	ck_assert_int_eq(req_full(&AL, "PUT", RL_DOC, CT_RL,
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>", NULL, NULL, &rs), 201);
	snprintf(e1, sizeof(e1), "%.*s", (int)strlen(rs.etag) - 2, rs.etag + 1);
	xcap_response_clear(&rs);
	ck_assert_int_eq(l.n, 1);
	ck_assert_str_eq(l.auid, "resource-lists");
	ck_assert_str_eq(l.xui, ALICE_SIP);
	ck_assert_str_eq(l.doc, "index");
	ck_assert_str_eq(l.old_etag, "");
	ck_assert_str_eq(l.new_etag, e1);
	ck_assert_int_eq(l.has_content, 1);

	ck_assert_int_eq(req_full(&AL, "PUT", RL_SEL "resource-lists/list", CT_EL, "<list/>", NULL,
	    NULL, &rs), 201);
	snprintf(e2, sizeof(e2), "%.*s", (int)strlen(rs.etag) - 2, rs.etag + 1);
	xcap_response_clear(&rs);
	ck_assert_int_eq(l.n, 2);
	ck_assert_str_eq(l.old_etag, e1);
	ck_assert_str_eq(l.new_etag, e2);

	/* failed writes and reads do not fire */
	ck_assert_int_eq(req(&AL, "PUT", RL_DOC, CT_RL, "<bad"), 409);
	ck_assert_int_eq(req(&AL, "GET", RL_DOC, NULL, NULL), 200);
	ck_assert_int_eq(req(&BO, "DELETE", RL_DOC, NULL, NULL), 403);
	ck_assert_int_eq(l.n, 2);

	ck_assert_int_eq(req(&AL, "DELETE", RL_DOC, NULL, NULL), 200);
	ck_assert_int_eq(l.n, 3);
	ck_assert_str_eq(l.old_etag, e2);
	ck_assert_str_eq(l.new_etag, "");
	ck_assert_int_eq(l.has_content, 0);
	xcap_set_change_cb(X, NULL, NULL);
}
END_TEST

START_TEST(test_tel_xui)
{
	const char *doc = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>";
	/* Alice's tel: IMPU, with visual separators and percent-encoding */
	ck_assert_int_eq(req(&AL, "PUT", ROOT "/resource-lists/users/tel:%2B1-555-0001/index",
	    CT_RL, doc), 201);
	ck_assert_int_eq(req(&AL, "GET", ROOT "/resource-lists/users/tel:+15550001/index", NULL, NULL), 200);
	ck_assert_int_eq(req(&BO, "GET", ROOT "/resource-lists/users/tel:+15550001/index", NULL, NULL), 403);
	ck_assert_int_eq(req(&BO, "GET", ROOT "/resource-lists/users/tel:+15559999/index", NULL, NULL), 403);
}
END_TEST

START_TEST(test_odd_targets)
{
	char longsel[4096] = RL_SEL "resource-lists";
	const struct { const char *t; int st; } cases[] = {
		{ RL_SEL "*", 200 },
		{ RL_SEL "*/*/*/*/*/*/*", 404 },
		{ RL_SEL "resource-lists/list%5B99999999999999%5D", 400 },
		{ RL_SEL "resource-lists/list%5B@name=%22%ff%22%5D", 400 },
		{ RL_SEL "resource-lists/list%5B@name=%22a%22", 400 },
		{ RL_SEL "resource-lists/list/@", 400 },
		{ RL_SEL "resource-lists/list/@name/@name", 400 },
		{ RL_SEL "resource-lists/~~/list", 400 },
		{ RL_SEL "resource-lists?xmlns(a=urn:x", 400 },
		{ RL_SEL "resource-lists?xmlns(1a=urn:x)", 400 },
		{ RL_SEL "resource-lists/list%5B1%5D/@xml:lang", 404 },
		{ RL_DOC "/~~/resource-lists/list%5B1%5D/namespace::*?xmlns(a=urn:x)", 200 },
	};
	put_rl_example();
	for (size_t i = 0; i < PRES_ARRAY_LEN(cases); i++)
		ck_assert_msg(req(&AL, "GET", cases[i].t, NULL, NULL) == cases[i].st, "%s", cases[i].t);
	for (int i = 0; i < 40; i++)
		pres_strlcpy(longsel + strlen(longsel), "/list", sizeof(longsel) - strlen(longsel));
	ck_assert_int_eq(req(&AL, "GET", longsel, NULL, NULL), 400);
}
END_TEST

START_TEST(test_new_fails_without_schemas)
{
	struct xcap_cfg cfg = { .root_path = ROOT, .schema_dir = "/nonexistent" };
	ck_assert_ptr_null(xcap_new(&cfg));
	ck_assert_ptr_null(xcap_new(NULL));
}
END_TEST

static Suite *xcap_suite(void)
{
	Suite *s = suite_create("xcap");
	TCase *p = tcase_create("parse");
	TCase *h = tcase_create("handler");

	tcase_add_test(p, test_pct_decode);
	tcase_add_test(p, test_uri_parse);
	tcase_add_test(p, test_sel_parse);
	tcase_add_test(p, test_att_value_codec);
	tcase_add_test(p, test_select_watcherinfo);
	tcase_add_test(p, test_select_namespaces);
	tcase_add_test(p, test_insert_positions);
	tcase_add_test(p, test_parse_guards);
	tcase_add_test(p, test_new_fails_without_schemas);
	suite_add_tcase(s, p);

	tcase_add_checked_fixture(h, setup, teardown);
	tcase_add_test(h, test_doc_put_get_delete);
	tcase_add_test(h, test_rfc_examples_accepted);
	tcase_add_test(h, test_pres_rules_selectors);
	tcase_add_test(h, test_element_ops);
	tcase_add_test(h, test_attribute_ops);
	tcase_add_test(h, test_namespace_bindings);
	tcase_add_test(h, test_errors_document);
	tcase_add_test(h, test_errors_uniqueness);
	tcase_add_test(h, test_errors_elements);
	tcase_add_test(h, test_http_errors);
	tcase_add_test(h, test_etags);
	tcase_add_test(h, test_no_lost_update);
	tcase_add_test(h, test_cas_gives_up_503);
	tcase_add_test(h, test_rls_services_unique_and_index);
	tcase_add_test(h, test_xcap_caps);
	tcase_add_test(h, test_directory);
	tcase_add_test(h, test_change_events);
	tcase_add_test(h, test_tel_xui);
	tcase_add_test(h, test_odd_targets);
	suite_add_tcase(s, h);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xcap_suite());
	int failed;
	log_init(0, "check_xcap", LOG_LVL_ERR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
