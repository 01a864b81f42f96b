/*
 * check_presence.c - unit tests of presence/: PIDF validation, composition,
 * pres-rules (RFC 5025/4745/OMA), transformations, watcherinfo, RLMI,
 * multipart, xcap-diff and filters.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "presence/presence.h"
#include "presence/px.h"

#ifndef PRES_TEST_DATA
#define PRES_TEST_DATA "tests/data/presence"
#endif

/* ---- helpers ---------------------------------------------------------- */

static char *load(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", PRES_TEST_DATA, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* exclusive canonical form, without comments, blanks dropped */
static char *canon(const char *xml, size_t len)
{
	xmlDocPtr d = xmlReadMemory(xml, (int)len, NULL, NULL,
	    XML_PARSE_NOBLANKS | XML_PARSE_NONET);
	xmlChar *out = NULL;
	char *r;

	ck_assert_msg(d != NULL, "not well-formed: %.*s", (int)len, xml);
	ck_assert_int_ge(xmlC14NDocDumpMemory(d, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, &out), 0);
	r = strdup((const char *)out);
	xmlFree(out);
	xmlFreeDoc(d);
	return r;
}

static void assert_xml_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	char *ca = canon(a, alen), *cb = canon(b, blen);

	ck_assert_msg(strcmp(ca, cb) == 0, "XML differs:\n%s\n---\n%s", ca, cb);
	free(ca);
	free(cb);
}

static xmlXPathObjectPtr xp_eval(xmlDocPtr d, const char *expr)
{
	xmlXPathContextPtr c = xmlXPathNewContext(d);
	xmlXPathObjectPtr o;

	xmlXPathRegisterNs(c, BAD_CAST "p", BAD_CAST PRES_NS_PIDF);
	xmlXPathRegisterNs(c, BAD_CAST "dm", BAD_CAST PRES_NS_DM);
	xmlXPathRegisterNs(c, BAD_CAST "r", BAD_CAST PRES_NS_RPID);
	xmlXPathRegisterNs(c, BAD_CAST "foo", BAD_CAST "urn:vendor-specific:foo-namespace");
	xmlXPathRegisterNs(c, BAD_CAST "w", BAD_CAST PRES_NS_WINFO);
	xmlXPathRegisterNs(c, BAD_CAST "op", BAD_CAST PX_NS_OMA_PIDF);
	o = xmlXPathEvalExpression(BAD_CAST expr, c);
	xmlXPathFreeContext(c);
	ck_assert_msg(o != NULL, "bad xpath %s", expr);
	return o;
}

/* number of nodes (or number value) of an XPath over a document */
static int xp_count(const char *xml, size_t len, const char *expr)
{
	xmlDocPtr d = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	xmlXPathObjectPtr o;
	int n;

	ck_assert_ptr_nonnull(d);
	o = xp_eval(d, expr);
	n = o->nodesetval ? o->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(o);
	xmlFreeDoc(d);
	return n;
}

/* string value of an XPath (caller frees) */
static char *xp_str(const char *xml, size_t len, const char *expr)
{
	xmlDocPtr d = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	xmlXPathContextPtr c;
	xmlChar *s;
	char *r;
	char wrapped[512];
	xmlXPathObjectPtr o;

	ck_assert_ptr_nonnull(d);
	snprintf(wrapped, sizeof(wrapped), "string(%s)", expr);
	o = xp_eval(d, wrapped);
	(void)c;
	s = xmlXPathCastToString(o);
	r = strdup((const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(o);
	xmlFreeDoc(d);
	return r;
}

#define S(x) (x), strlen(x)

static const char *PIDF_OK =
	"<?xml version='1.0' encoding='UTF-8'?>"
	"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:alice@example.com'>"
	"<tuple id='t1'><status><basic>open</basic></status>"
	"<contact>sip:alice@pc.example.com</contact></tuple>"
	"</presence>";

/* ---- 1. PIDF ------------------------------------------------------------ */

START_TEST(pidf_good)
{
	char err[128];
	size_t len;
	char *doc = load("rfc4479-pidf.xml", &len);

	ck_assert_int_eq(pres_pidf_check(S(PIDF_OK), "sip:alice@example.com", err, sizeof(err)), PRES_OK);
	/* normalization: host case, parameters */
	ck_assert_int_eq(pres_pidf_check(S(PIDF_OK), "<sip:alice@EXAMPLE.com;transport=tcp>", err, sizeof(err)), PRES_OK);
	ck_assert_int_eq(pres_pidf_check(S(PIDF_OK), NULL, NULL, 0), PRES_OK);
	/* pres: entity equals the sip: presentity */
	ck_assert_int_eq(pres_pidf_check(doc, len, "sip:someone@example.com", err, sizeof(err)), PRES_OK);
	free(doc);
}
END_TEST

START_TEST(pidf_bad)
{
	char err[128];
	static const char *nodoc = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x'><tuple id='t'><status><basic>open</basic></status></tuple>";
	static const char *noent = "<presence xmlns='urn:ietf:params:xml:ns:pidf'><tuple id='t'><status/></tuple></presence>";
	static const char *wrongns = "<presence xmlns='urn:example' entity='sip:a@x'/>";
	static const char *dupid = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x'>"
		"<tuple id='t'><status/></tuple><tuple id='t'><status/></tuple></presence>";
	static const char *dupid2 = "<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' entity='sip:a@x'>"
		"<tuple id='t'><status/></tuple><dm:person id='t'/></presence>";
	static const char *nostatus = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x'><tuple id='t'/></presence>";
	static const char *noid = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x'><tuple><status/></tuple></presence>";
	static const char *badbasic = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x'><tuple id='t'><status><basic>maybe</basic></status></tuple></presence>";
	static const char *badent = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='http://x/'/>";

	ck_assert_int_eq(pres_pidf_check(S(PIDF_OK), "sip:bob@example.com", err, sizeof(err)), PRES_EAUTH);
	ck_assert_ptr_nonnull(strstr(err, "entity"));
	ck_assert_int_eq(pres_pidf_check(S(nodoc), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_int_eq(pres_pidf_check(S(noent), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_int_eq(pres_pidf_check(S(wrongns), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_int_eq(pres_pidf_check(S(dupid), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "duplicate"));
	ck_assert_int_eq(pres_pidf_check(S(dupid2), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_int_eq(pres_pidf_check(S(nostatus), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_int_eq(pres_pidf_check(S(noid), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_int_eq(pres_pidf_check(S(badbasic), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_int_eq(pres_pidf_check(S(badent), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_int_eq(pres_pidf_check("", 0, NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_int_eq(pres_pidf_check(NULL, 0, NULL, NULL, 0), PRES_EINVAL);
}
END_TEST

START_TEST(pidf_doctype_refused)
{
	char err[128];
	static const char *xxe =
		"<?xml version='1.0'?>"
		"<!DOCTYPE presence [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
		"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x'>"
		"<tuple id='t'><status><basic>open</basic></status><note>&x;</note></tuple></presence>";
	static const char *bomb =
		"<?xml version='1.0'?><!DOCTYPE p [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
		"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x'><note>&b;</note></presence>";
	static const char *ext =
		"<?xml version='1.0'?><!DOCTYPE presence SYSTEM 'http://evil.example/x.dtd'>"
		"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x'/>";

	ck_assert_int_eq(pres_pidf_check(S(xxe), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "DOCTYPE"));
	ck_assert_int_eq(pres_pidf_check(S(bomb), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_int_eq(pres_pidf_check(S(ext), NULL, err, sizeof(err)), PRES_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "DOCTYPE"));
}
END_TEST

START_TEST(pidf_too_big)
{
	size_t n = PRES_DOC_MAX + 1;
	char *big = malloc(n);

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', n);
	ck_assert_int_eq(pres_pidf_check(big, n, NULL, NULL, 0), PRES_ETOOBIG);
	free(big);
}
END_TEST

START_TEST(pidf_sphere)
{
	char buf[32];
	size_t len;
	char *doc = load("rfc4479-pidf.xml", &len);
	static const char *el = "<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
		"xmlns:r='urn:ietf:params:xml:ns:pidf:rpid' entity='sip:a@x'><dm:person id='p'><r:sphere><r:home/></r:sphere></dm:person></presence>";

	ck_assert_int_eq(pres_pidf_sphere(doc, len, buf, sizeof(buf)), PRES_OK);
	ck_assert_str_eq(buf, "work");
	ck_assert_int_eq(pres_pidf_sphere(S(el), buf, sizeof(buf)), PRES_OK);
	ck_assert_str_eq(buf, "home");
	ck_assert_int_eq(pres_pidf_sphere(S(PIDF_OK), buf, sizeof(buf)), PRES_ENOTFOUND);
	ck_assert_int_eq(pres_pidf_sphere(doc, len, buf, 3), PRES_ETOOBIG);
	free(doc);
}
END_TEST

/* ---- 2. composition ------------------------------------------------------ */

static const char *PUB_A =
	"<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	"xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' entity='sip:alice@example.com'>"
	"<tuple id='t1'><status><basic>open</basic></status><contact>sip:alice@pc</contact></tuple>"
	"<note>from A</note>"
	"<dm:person id='p1'><rpid:activities><rpid:busy/></rpid:activities></dm:person>"
	"</presence>";
static const char *PUB_B =
	"<p:presence xmlns:p='urn:ietf:params:xml:ns:pidf' xmlns='urn:ietf:params:xml:ns:pidf:data-model' "
	"xmlns:r='urn:ietf:params:xml:ns:pidf:rpid' entity='pres:alice@example.com'>"
	"<p:tuple id='t1'><p:status><p:basic>closed</p:basic></p:status><p:contact>sip:alice@pc</p:contact></p:tuple>"
	"<p:tuple id='t2'><p:status><p:basic>open</p:basic></p:status><p:contact>sip:alice@phone</p:contact></p:tuple>"
	"<p:note>from B</p:note>"
	"<person id='p1'><r:activities><r:meeting/></r:activities></person>"
	"<device id='d1'><deviceID>mac:1234</deviceID></device>"
	"</p:presence>";

START_TEST(compose_merge)
{
	struct pres_pub_in pubs[2];
	char *out;
	size_t len;
	char *s;

	/* given out of order: B is newer */
	pubs[0].body = PUB_B; pubs[0].len = strlen(PUB_B); pubs[0].timestamp = 200;
	pubs[1].body = PUB_A; pubs[1].len = strlen(PUB_A); pubs[1].timestamp = 100;
	ck_assert_int_eq(pres_compose("sip:alice@example.com", pubs, 2, NULL, 0, &out, &len), PRES_OK);
	ck_assert_uint_eq(strlen(out), len);
	ck_assert_int_eq(pres_pidf_check(out, len, "sip:alice@example.com", NULL, 0), PRES_OK);
	s = xp_str(out, len, "/p:presence/@entity");
	ck_assert_str_eq(s, "sip:alice@example.com");
	free(s);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/p:tuple"), 2);
	s = xp_str(out, len, "/p:presence/p:tuple[@id='t1']/p:status/p:basic");
	ck_assert_str_eq(s, "closed");      /* newer publication wins */
	free(s);
	/* first appearance keeps its position */
	s = xp_str(out, len, "/p:presence/p:tuple[1]/@id");
	ck_assert_str_eq(s, "t1");
	free(s);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/p:note"), 2);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/dm:person"), 1);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/dm:person/r:activities/r:meeting"), 1);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/dm:device[@id='d1']/dm:deviceID"), 1);
	/* PIDF schema order: tuples, notes, then extensions */
	ck_assert_int_eq(xp_count(out, len, "/p:presence/*[1][self::p:tuple]"), 1);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/*[3][self::p:note]"), 1);
	free(out);

	/* equal timestamps: array order decides */
	pubs[0].timestamp = pubs[1].timestamp = 100;
	ck_assert_int_eq(pres_compose("sip:alice@example.com", pubs, 2, NULL, 0, &out, &len), PRES_OK);
	s = xp_str(out, len, "/p:presence/p:tuple[@id='t1']/p:status/p:basic");
	ck_assert_str_eq(s, "open");        /* A is later in the array */
	free(s);
	free(out);
}
END_TEST

START_TEST(compose_manipulation)
{
	static const char *manip =
		"<presence xmlns='urn:ietf:params:xml:ns:pidf'>"
		"<tuple id='t2'><status><basic>closed</basic></status><contact>sip:alice@phone</contact>"
		"<note>on holiday</note></tuple>"
		"<tuple id='t9'><status><basic>open</basic></status><contact>mailto:alice@example.com</contact></tuple>"
		"</presence>";
	struct pres_pub_in pub = { PUB_B, 0, 10 };
	char *out, *s;
	size_t len;

	pub.len = strlen(PUB_B);
	ck_assert_int_eq(pres_compose("sip:alice@example.com", &pub, 1, S(manip), &out, &len), PRES_OK);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/p:tuple"), 3);
	s = xp_str(out, len, "/p:presence/p:tuple[@id='t2']/p:status/p:basic");
	ck_assert_str_eq(s, "closed");
	free(s);
	s = xp_str(out, len, "/p:presence/p:tuple[@id='t2']/p:note");
	ck_assert_str_eq(s, "on holiday");
	free(s);
	free(out);

	/* manipulation only */
	ck_assert_int_eq(pres_compose("sip:alice@example.com", NULL, 0, S(manip), &out, &len), PRES_OK);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/p:tuple"), 2);
	free(out);

	/* broken manipulation document */
	ck_assert_int_eq(pres_compose("sip:alice@example.com", &pub, 1, S("<presence"), &out, &len), PRES_EINVAL);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(compose_empty_is_neutral)
{
	char *out, *n, *s;
	size_t len, nlen;
	struct pres_pub_in bad = { "<oops", 5, 1 };

	ck_assert_int_eq(pres_compose("sip:alice@example.com", NULL, 0, NULL, 0, &out, &len), PRES_OK);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/p:tuple"), 1);
	s = xp_str(out, len, "/p:presence/p:tuple/p:status/p:basic");
	ck_assert_str_eq(s, "closed");
	free(s);
	ck_assert_int_eq(pres_neutral("sip:alice@example.com", &n, &nlen), PRES_OK);
	ck_assert_uint_eq(len, nlen);
	ck_assert_mem_eq(out, n, len);
	free(n);
	free(out);
	/* an unparsable stored publication is skipped */
	ck_assert_int_eq(pres_compose("sip:alice@example.com", &bad, 1, NULL, 0, &out, &len), PRES_OK);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/p:tuple[@id='neutral']"), 1);
	free(out);
	ck_assert_int_eq(pres_compose("not a uri", NULL, 0, NULL, 0, &out, &len), PRES_EINVAL);
	ck_assert_int_eq(pres_neutral(NULL, &out, &len), PRES_EINVAL);
}
END_TEST

START_TEST(compose_namespace_safety)
{
	/* the source's default namespace is a vendor one: the copy must keep
	 * the element in it, not fall into the PIDF default namespace */
	static const char *pub =
		"<p:presence xmlns:p='urn:ietf:params:xml:ns:pidf' xmlns='urn:vendor-specific:foo-namespace' entity='sip:a@example.com'>"
		"<p:tuple id='t'><p:status><p:basic>open</p:basic><foo x='1'>v</foo></p:status></p:tuple>"
		"<foo>root ext</foo></p:presence>";
	struct pres_pub_in in = { pub, 0, 1 };
	char *out;
	size_t len;

	in.len = strlen(pub);
	ck_assert_int_eq(pres_compose("sip:a@example.com", &in, 1, NULL, 0, &out, &len), PRES_OK);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/p:tuple/p:status/foo:foo[@x='1']"), 1);
	ck_assert_int_eq(xp_count(out, len, "/p:presence/foo:foo"), 1);
	ck_assert_int_eq(xp_count(out, len, "//p:foo"), 0);
	free(out);
}
END_TEST

/* ---- 3. pres-rules --------------------------------------------------------- */

static struct pres_rules *rules_from(const char *xml)
{
	struct pres_rules *r = NULL;
	char err[160];

	ck_assert_msg(pres_rules_parse(xml, strlen(xml), &r, err, sizeof(err)) == PRES_OK,
	    "parse: %s", err);
	return r;
}

static struct pres_rules *rules_file(const char *name)
{
	size_t len;
	char *x = load(name, &len);
	struct pres_rules *r = NULL;
	char err[160];

	ck_assert_msg(pres_rules_parse(x, len, &r, err, sizeof(err)) == PRES_OK, "parse: %s", err);
	free(x);
	return r;
}

#define RS_HEAD "<cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy' " \
	"xmlns:pr='urn:ietf:params:xml:ns:pres-rules' xmlns:ocp='urn:oma:xml:xdm:common-policy' " \
	"xmlns:op='urn:oma:xml:prs:pres-rules'>"
#define RS_TAIL "</cr:ruleset>"
#define RULE(id, cond, sub, tf) "<cr:rule id='" id "'><cr:conditions>" cond "</cr:conditions>" \
	"<cr:actions><pr:sub-handling>" sub "</pr:sub-handling></cr:actions>" \
	"<cr:transformations>" tf "</cr:transformations></cr:rule>"

static enum pres_sub_handling eval_sub(const struct pres_rules *r, const char *uri,
    int anon, int64_t now, const char *sphere)
{
	struct pres_watcher w = { uri, anon, NULL };
	struct pres_decision d;
	enum pres_sub_handling s;

	ck_assert_int_eq(pres_rules_eval(r, &w, now, sphere, NULL, NULL, &d), PRES_OK);
	s = d.sub_handling;
	pres_decision_clear(&d);
	return s;
}

START_TEST(rules_rfc5025_example)
{
	struct pres_rules *r = rules_file("rfc5025-example.xml");
	struct pres_watcher w = { "sip:user@example.com", 0, NULL };
	struct pres_decision d;
	size_t len, olen;
	char *doc = load("rfc4479-pidf.xml", &len), *out, *s;

	ck_assert_uint_eq(pres_rules_count(r), 1);
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_ALLOW);
	ck_assert_uint_eq(d.rules_matched, 1);
	ck_assert_int_eq(pres_transform(&d, doc, len, &out, &olen), PRES_OK);
	/* services: sip and mailto schemes only */
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple"), 2);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple[@id='tel-tuple']"), 0);
	/* the service itself: status, contact, timestamp stay; attributes go */
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple[@id='sip-tuple']/p:status/p:basic"), 1);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple[@id='sip-tuple']/p:contact"), 1);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple[@id='sip-tuple']/p:timestamp"), 1);
	ck_assert_int_eq(xp_count(out, olen, "//r:class"), 0);
	ck_assert_int_eq(xp_count(out, olen, "//dm:deviceID"), 0);
	ck_assert_int_eq(xp_count(out, olen, "//p:note | //dm:note"), 0);
	/* persons: all; activities yes, mood no, user-input bare, foo yes, bar no */
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:person"), 1);
	ck_assert_int_eq(xp_count(out, olen, "//r:activities/r:meeting"), 1);
	ck_assert_int_eq(xp_count(out, olen, "//r:mood"), 0);
	ck_assert_int_eq(xp_count(out, olen, "//r:sphere"), 0);
	ck_assert_int_eq(xp_count(out, olen, "//r:user-input"), 1);
	ck_assert_int_eq(xp_count(out, olen, "//r:user-input/@idle-threshold | //r:user-input/@last-input"), 0);
	s = xp_str(out, olen, "//r:user-input");
	ck_assert_str_eq(s, "idle");
	free(s);
	ck_assert_int_eq(xp_count(out, olen, "//foo:foo"), 1);
	ck_assert_int_eq(xp_count(out, olen, "//foo:bar"), 0);
	ck_assert_int_eq(xp_count(out, olen, "//dm:timestamp"), 1);
	/* devices: none provided */
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:device"), 0);
	free(out);
	pres_decision_clear(&d);
	ck_assert_ptr_null(d.tf);

	/* anybody else: no rule matches → block, nothing may be sent */
	w.uri = "sip:other@example.com";
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_BLOCK);
	ck_assert_uint_eq(d.rules_matched, 0);
	ck_assert_int_eq(pres_transform(&d, doc, len, &out, &olen), PRES_EAUTH);
	ck_assert_ptr_null(out);
	pres_decision_clear(&d);
	pres_rules_free(r);
	free(doc);
}
END_TEST

START_TEST(rules_empty_and_null)
{
	struct pres_rules *r = rules_from(RS_HEAD RS_TAIL);
	struct pres_watcher w = { "sip:bob@example.com", 0, NULL };
	struct pres_decision d;

	ck_assert_uint_eq(pres_rules_count(r), 0);
	ck_assert_int_eq(eval_sub(r, "sip:bob@example.com", 0, 0, NULL), PRES_SUB_BLOCK);
	ck_assert_int_eq(pres_rules_eval(NULL, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_BLOCK);
	pres_decision_clear(&d);
	pres_rules_free(r);
	pres_rules_free(NULL);
	/* a matching rule without sub-handling grants nothing */
	r = rules_from(RS_HEAD "<cr:rule id='x'><cr:conditions/></cr:rule>" RS_TAIL);
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_BLOCK);
	ck_assert_uint_eq(d.rules_matched, 1);
	pres_decision_clear(&d);
	pres_rules_free(r);
}
END_TEST

START_TEST(rules_identity)
{
	struct pres_rules *r = rules_from(RS_HEAD
		RULE("one", "<cr:identity><cr:one id='sip:alice@example.com'/><cr:one id='tel:+1-212-555-1234'/></cr:identity>", "allow", "")
		RULE("many", "<cr:identity><cr:many domain='example.org'><cr:except id='sip:bad@example.org'/></cr:many></cr:identity>", "confirm", "")
		RULE("anyone", "<cr:identity><cr:many><cr:except domain='example.org'/><cr:except domain='evil.example'/></cr:many></cr:identity>", "polite-block", "")
		RS_TAIL);

	ck_assert_int_eq(eval_sub(r, "sip:alice@example.com", 0, 0, NULL), PRES_SUB_ALLOW);
	ck_assert_int_eq(eval_sub(r, "<sip:alice@EXAMPLE.COM;user=phone>", 0, 0, NULL), PRES_SUB_ALLOW);
	ck_assert_int_eq(eval_sub(r, "tel:+12125551234", 0, 0, NULL), PRES_SUB_ALLOW);
	/* many domain=example.org → confirm; "anyone" excludes example.org */
	ck_assert_int_eq(eval_sub(r, "sip:carol@example.org", 0, 0, NULL), PRES_SUB_CONFIRM);
	ck_assert_int_eq(eval_sub(r, "sip:bad@example.org", 0, 0, NULL), PRES_SUB_BLOCK);
	ck_assert_int_eq(eval_sub(r, "sip:dave@example.net", 0, 0, NULL), PRES_SUB_POLITE_BLOCK);
	ck_assert_int_eq(eval_sub(r, "sip:eve@evil.example", 0, 0, NULL), PRES_SUB_BLOCK);
	/* anonymous requests match no identity condition */
	ck_assert_int_eq(eval_sub(r, "sip:alice@example.com", 1, 0, NULL), PRES_SUB_BLOCK);
	ck_assert_int_eq(eval_sub(r, NULL, 0, 0, NULL), PRES_SUB_BLOCK);
	pres_rules_free(r);
}
END_TEST

START_TEST(rules_watcher_domain)
{
	struct pres_rules *r = rules_from(RS_HEAD
		RULE("m", "<cr:identity><cr:many domain='example.com'/></cr:identity>", "allow", "") RS_TAIL);
	struct pres_watcher w = { "tel:+15550001", 0, "example.com" };
	struct pres_decision d;

	/* tel: identity with an authenticated domain given by the caller */
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_ALLOW);
	pres_decision_clear(&d);
	w.domain = NULL;
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_BLOCK);
	pres_decision_clear(&d);
	pres_rules_free(r);
}
END_TEST

START_TEST(rules_sphere_validity)
{
	int64_t aug20;
	struct pres_rules *r = rules_from(RS_HEAD
		RULE("sp", "<cr:identity><cr:one id='sip:a@x.com'/></cr:identity><cr:sphere value='work  meeting'/>", "allow", "")
		RULE("va", "<cr:identity><cr:one id='sip:b@x.com'/></cr:identity>"
			"<cr:validity><cr:from>2003-08-15T10:20:00.000-05:00</cr:from>"
			"<cr:until>2003-09-15T10:20:00.000-05:00</cr:until>"
			"<cr:from>2004-01-01T00:00:00Z</cr:from><cr:until>2004-01-02T00:00:00Z</cr:until></cr:validity>",
			"allow", "")
		RS_TAIL);

	ck_assert_int_eq(eval_sub(r, "sip:a@x.com", 0, 0, "work"), PRES_SUB_ALLOW);
	ck_assert_int_eq(eval_sub(r, "sip:a@x.com", 0, 0, "Meeting"), PRES_SUB_ALLOW);
	ck_assert_int_eq(eval_sub(r, "sip:a@x.com", 0, 0, "home"), PRES_SUB_BLOCK);
	ck_assert_int_eq(eval_sub(r, "sip:a@x.com", 0, 0, NULL), PRES_SUB_BLOCK);

	ck_assert_int_eq(px_parse_datetime("2003-08-20T00:00:00Z", &aug20), PRES_OK);
	ck_assert_int_eq(eval_sub(r, "sip:b@x.com", 0, aug20, NULL), PRES_SUB_ALLOW);
	/* 2003-08-15T10:20-05:00 is 15:20Z: 15:19:59Z is before, 15:20:00Z inside */
	ck_assert_int_eq(px_parse_datetime("2003-08-15T15:19:59Z", &aug20), PRES_OK);
	ck_assert_int_eq(eval_sub(r, "sip:b@x.com", 0, aug20, NULL), PRES_SUB_BLOCK);
	ck_assert_int_eq(eval_sub(r, "sip:b@x.com", 0, aug20 + 1, NULL), PRES_SUB_ALLOW);
	ck_assert_int_eq(eval_sub(r, "sip:b@x.com", 0, 1072958400 /* 2004-01-01T12Z */, NULL), PRES_SUB_ALLOW);
	ck_assert_int_eq(eval_sub(r, "sip:b@x.com", 0, 1073001600 /* 2004-01-02T00Z */, NULL), PRES_SUB_BLOCK);
	pres_rules_free(r);
}
END_TEST

START_TEST(rules_datetime)
{
	int64_t t;

	ck_assert_int_eq(px_parse_datetime("1970-01-01T00:00:00Z", &t), PRES_OK);
	ck_assert_int_eq(t, 0);
	ck_assert_int_eq(px_parse_datetime("2003-08-15T10:20:00.000-05:00", &t), PRES_OK);
	ck_assert_int_eq(t, 1060960800);
	ck_assert_int_eq(px_parse_datetime("2003-08-15T17:20:00+02:00", &t), PRES_OK);
	ck_assert_int_eq(t, 1060960800);
	ck_assert_int_eq(px_parse_datetime("2003-08-15T15:20:00", &t), PRES_OK);
	ck_assert_int_eq(t, 1060960800);
	ck_assert_int_eq(px_parse_datetime("2003-13-15T15:20:00Z", &t), PRES_EINVAL);
	ck_assert_int_eq(px_parse_datetime("2003-08-15 15:20:00Z", &t), PRES_EINVAL);
	ck_assert_int_eq(px_parse_datetime("2003-08-15T15:20:00+0200", &t), PRES_EINVAL);
	ck_assert_int_eq(px_parse_datetime("yesterday", &t), PRES_EINVAL);
}
END_TEST

struct lists {
	const char *granted;
	const char *blocked;
	int calls;
};

static int member_cb(const char *anc, const char *watcher, void *arg)
{
	struct lists *l = arg;

	l->calls++;
	if (strstr(anc, "oma_grantedcontacts"))
		return strcmp(watcher, l->granted) == 0;
	if (strstr(anc, "oma_blockedcontacts"))
		return strcmp(watcher, l->blocked) == 0;
	return PRES_ENOTFOUND;
}

START_TEST(rules_oma)
{
	struct pres_rules *r = rules_file("oma-default-rules.xml");
	struct lists l = { "sip:bob@ims.example.com", "sip:mallory@ims.example.com", 0 };
	struct pres_watcher w = { "sip:alice@ims.example.com", 0, NULL };
	struct pres_decision d;
	char k1[512], k2[512];

	ck_assert_uint_eq(pres_rules_count(r), 5);
	/* own identity: allow */
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, member_cb, &l, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_ALLOW);
	ck_assert_int_eq(pres_decision_key(&d, k1, sizeof(k1)), PRES_OK);
	pres_decision_clear(&d);
	/* granted list: allow with the granted transformations */
	w.uri = "sip:bob@ims.example.com";
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, member_cb, &l, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_ALLOW);
	ck_assert_uint_eq(d.rules_matched, 1);
	ck_assert_int_eq(pres_decision_key(&d, k2, sizeof(k2)), PRES_OK);
	ck_assert_str_ne(k1, k2);
	ck_assert_int_gt(l.calls, 0);
	pres_decision_clear(&d);
	/* blocked list */
	w.uri = "sip:mallory@ims.example.com";
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, member_cb, &l, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_BLOCK);
	ck_assert_uint_eq(d.rules_matched, 1);
	pres_decision_clear(&d);
	/* nobody knows carol: other-identity → confirm */
	w.uri = "sip:carol@elsewhere.example";
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, member_cb, &l, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_CONFIRM);
	ck_assert_uint_eq(d.rules_matched, 1);
	pres_decision_clear(&d);
	/* anonymous: anonymous-request → block; other-identity does not apply */
	w.uri = NULL;
	w.anonymous = 1;
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, member_cb, &l, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_BLOCK);
	ck_assert_uint_eq(d.rules_matched, 1);
	pres_decision_clear(&d);
	/* no resolver: external lists never match → bob is "other" */
	w.uri = "sip:bob@ims.example.com";
	w.anonymous = 0;
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_CONFIRM);
	pres_decision_clear(&d);
	pres_rules_free(r);
}
END_TEST

START_TEST(rules_other_identity_anonymous)
{
	/* without an anonymous-request rule, anonymous watchers are "other" */
	struct pres_rules *r = rules_from(RS_HEAD
		RULE("o", "<ocp:other-identity/>", "polite-block", "")
		RULE("a", "<cr:identity><cr:one id='sip:a@x.com'/></cr:identity>", "allow", "") RS_TAIL);

	ck_assert_int_eq(eval_sub(r, NULL, 1, 0, NULL), PRES_SUB_POLITE_BLOCK);
	ck_assert_int_eq(eval_sub(r, "sip:z@x.com", 0, 0, NULL), PRES_SUB_POLITE_BLOCK);
	ck_assert_int_eq(eval_sub(r, "sip:a@x.com", 0, 0, NULL), PRES_SUB_ALLOW);
	pres_rules_free(r);
}
END_TEST

START_TEST(rules_unsupported_condition)
{
	struct pres_rules *r = rules_from(RS_HEAD
		"<cr:rule id='u'><cr:conditions><cr:identity><cr:one id='sip:a@x.com'/></cr:identity>"
		"<x:future xmlns:x='urn:example:future'/></cr:conditions>"
		"<cr:actions><pr:sub-handling>allow</pr:sub-handling><x:act xmlns:x='urn:example:future'/></cr:actions></cr:rule>"
		RULE("c", "", "confirm", "<x:tf xmlns:x='urn:example:future'/>") RS_TAIL);

	/* the rule with an unknown condition never matches; the empty
	 * conditions rule matches everyone */
	ck_assert_int_eq(eval_sub(r, "sip:a@x.com", 0, 0, NULL), PRES_SUB_CONFIRM);
	ck_assert_int_eq(eval_sub(r, NULL, 1, 0, NULL), PRES_SUB_CONFIRM);
	pres_rules_free(r);
}
END_TEST

START_TEST(rules_combining)
{
	/* RFC 4745 §10: max sub-handling, union of transformations */
	struct pres_rules *r = rules_from(RS_HEAD
		RULE("r1", "<cr:identity><cr:many domain='x.com'/></cr:identity>", "confirm",
			"<pr:provide-services><pr:occurrence-id>t1</pr:occurrence-id></pr:provide-services>"
			"<pr:provide-mood>true</pr:provide-mood><pr:provide-user-input>thresholds</pr:provide-user-input>")
		RULE("r2", "<cr:identity><cr:one id='sip:a@x.com'/></cr:identity>", "allow",
			"<pr:provide-services><pr:class>business</pr:class></pr:provide-services>"
			"<pr:provide-mood>false</pr:provide-mood><pr:provide-user-input>bare</pr:provide-user-input>"
			"<pr:provide-persons><pr:occurrence-id>p1</pr:occurrence-id></pr:provide-persons>")
		RULE("r3", "<cr:identity><cr:one id='sip:b@x.com'/></cr:identity>", "polite-block", "")
		RS_TAIL);
	static const char *doc =
		"<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
		"xmlns:r='urn:ietf:params:xml:ns:pidf:rpid' entity='sip:p@x.com'>"
		"<tuple id='t1'><status><basic>open</basic></status></tuple>"
		"<tuple id='t2'><status><basic>open</basic></status><r:class>business</r:class></tuple>"
		"<tuple id='t3'><status><basic>open</basic></status><r:class>private</r:class></tuple>"
		"<dm:person id='p1'><r:mood><r:sad/></r:mood>"
		"<r:user-input idle-threshold='600' last-input='2004-10-21T13:20:00Z'>idle</r:user-input></dm:person>"
		"<dm:person id='p2'/></presence>";
	struct pres_watcher w = { "sip:a@x.com", 0, NULL };
	struct pres_decision d;
	char *out, *neu, *k;
	size_t olen, nlen;

	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_ALLOW);
	ck_assert_uint_eq(d.rules_matched, 2);
	ck_assert_int_eq(pres_transform(&d, S(doc), &out, &olen), PRES_OK);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple"), 2);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple[@id='t3']"), 0);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:person"), 1);
	ck_assert_int_eq(xp_count(out, olen, "//r:mood"), 1);              /* true OR false */
	ck_assert_int_eq(xp_count(out, olen, "//r:user-input/@idle-threshold"), 1);  /* max */
	ck_assert_int_eq(xp_count(out, olen, "//r:user-input/@last-input"), 0);
	ck_assert_int_eq(xp_count(out, olen, "//r:class"), 0);             /* class not provided */
	free(out);
	k = pres_decision_key_dup(&d);
	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(strstr(k, "s=3"));
	free(k);
	pres_decision_clear(&d);

	/* the same domain member without r2: confirm, nothing may be sent */
	w.uri = "sip:c@x.com";
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_CONFIRM);
	ck_assert_int_eq(pres_transform(&d, S(doc), &out, &olen), PRES_EAUTH);
	pres_decision_clear(&d);

	/* polite-block beats confirm and yields the neutral document */
	w.uri = "sip:b@x.com";
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(d.sub_handling, PRES_SUB_POLITE_BLOCK);
	ck_assert_int_eq(pres_transform(&d, S(doc), &out, &olen), PRES_OK);
	ck_assert_int_eq(pres_neutral("sip:p@x.com", &neu, &nlen), PRES_OK);
	ck_assert_uint_eq(olen, nlen);
	ck_assert_mem_eq(out, neu, olen);
	free(out);
	free(neu);
	pres_decision_clear(&d);
	pres_rules_free(r);
}
END_TEST

START_TEST(rules_transform_services_devices)
{
	struct pres_rules *r = rules_from(RS_HEAD
		RULE("r", "", "allow",
			"<pr:provide-services><pr:service-uri>sip:someone@EXAMPLE.com</pr:service-uri></pr:provide-services>"
			"<pr:provide-devices><pr:deviceID>mac:8asd7d7d70</pr:deviceID></pr:provide-devices>"
			"<pr:provide-deviceID>true</pr:provide-deviceID><pr:provide-note>true</pr:provide-note>"
			"<pr:provide-class>true</pr:provide-class>")
		RS_TAIL);
	struct pres_watcher w = { "sip:z@y.com", 0, NULL };
	struct pres_decision d;
	size_t len, olen;
	char *doc = load("rfc4479-pidf.xml", &len), *out;

	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(pres_transform(&d, doc, len, &out, &olen), PRES_OK);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple"), 1);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple[@id='sip-tuple']/dm:deviceID"), 1);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple/r:class"), 1);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple/p:note"), 1);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:note"), 1);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:person"), 0);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:device[@id='pc122']/dm:deviceID"), 1);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:device/r:user-input"), 0);
	free(out);
	pres_decision_clear(&d);
	pres_rules_free(r);

	/* allow with no transformations at all: an empty document */
	r = rules_from(RS_HEAD RULE("r", "", "allow", "") RS_TAIL);
	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(pres_transform(&d, doc, len, &out, &olen), PRES_OK);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/*"), 0);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence[@entity='pres:someone@example.com']"), 1);
	free(out);
	pres_decision_clear(&d);
	pres_rules_free(r);

	/* everything */
	ck_assert_int_eq(pres_decision_allow_all(&d), PRES_OK);
	ck_assert_int_eq(pres_transform(&d, doc, len, &out, &olen), PRES_OK);
	assert_xml_eq(out, olen, doc, len);
	free(out);
	pres_decision_clear(&d);
	free(doc);
}
END_TEST


START_TEST(rules_each_attribute)
{
	static const struct { const char *perm; const char *elem; } tab[] = {
		{ "provide-activities", "activities" }, { "provide-class", "class" },
		{ "provide-mood", "mood" }, { "provide-place-is", "place-is" },
		{ "provide-place-type", "place-type" }, { "provide-privacy", "privacy" },
		{ "provide-relationship", "relationship" }, { "provide-status-icon", "status-icon" },
		{ "provide-sphere", "sphere" }, { "provide-time-offset", "time-offset" },
	};
	static const char *doc =
		"<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
		"xmlns:r='urn:ietf:params:xml:ns:pidf:rpid' entity='sip:p@x.com'>"
		"<dm:person id='p1'><r:activities><r:away/></r:activities><r:class>c1</r:class>"
		"<r:mood><r:bored/></r:mood><r:place-is><r:audio><r:noisy/></r:audio></r:place-is>"
		"<r:place-type><r:home/></r:place-type><r:privacy><r:quiet/></r:privacy>"
		"<r:relationship><r:family/></r:relationship><r:status-icon>http://x/i.png</r:status-icon>"
		"<r:sphere>home</r:sphere><r:time-offset>60</r:time-offset>"
		"<r:user-input>active</r:user-input><dm:note>n</dm:note></dm:person>"
		"<dm:person id='p2'><r:class>c2</r:class></dm:person>"
		"<dm:device id='d1'><dm:deviceID>urn:x:1</dm:deviceID><r:class>dc</r:class></dm:device>"
		"<dm:device id='d2'><dm:deviceID>urn:x:2</dm:deviceID></dm:device></presence>";
	struct pres_watcher w = { "sip:z@y.com", 0, NULL };
	size_t i;

	for (i = 0; i < PRES_ARRAY_LEN(tab); i++) {
		char rules[1024], xp[128];
		struct pres_rules *r;
		struct pres_decision d;
		char *out;
		size_t olen;

		snprintf(rules, sizeof(rules), RS_HEAD "<cr:rule id='r'><cr:transformations>"
		    "<pr:provide-persons><pr:occurrence-id>p1</pr:occurrence-id></pr:provide-persons>"
		    "<pr:%s>true</pr:%s></cr:transformations>"
		    "<cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>" RS_TAIL,
		    tab[i].perm, tab[i].perm);
		r = rules_from(rules);
		ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
		ck_assert_int_eq(pres_transform(&d, S(doc), &out, &olen), PRES_OK);
		ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:person"), 1);
		ck_assert_msg(xp_count(out, olen, "/p:presence/dm:person/*") == 1,
		    "%s: %s", tab[i].perm, out);
		snprintf(xp, sizeof(xp), "/p:presence/dm:person[@id='p1']/r:%s", tab[i].elem);
		ck_assert_int_eq(xp_count(out, olen, xp), 1);
		free(out);
		pres_decision_clear(&d);
		pres_rules_free(r);
	}

	/* persons and devices selected by class / occurrence-id */
	{
		struct pres_rules *r = rules_from(RS_HEAD RULE("r", "", "allow",
			"<pr:provide-persons><pr:class>c2</pr:class></pr:provide-persons>"
			"<pr:provide-devices><pr:class>dc</pr:class><pr:occurrence-id>d2</pr:occurrence-id></pr:provide-devices>"
			"<pr:provide-user-input>full</pr:provide-user-input>") RS_TAIL);
		struct pres_decision d;
		char *out;
		size_t olen;

		ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
		ck_assert_int_eq(pres_transform(&d, S(doc), &out, &olen), PRES_OK);
		ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:person"), 1);
		ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:person[@id='p2']"), 1);
		ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:device"), 2);
		ck_assert_int_eq(xp_count(out, olen, "//r:class"), 0);
		free(out);
		pres_decision_clear(&d);
		pres_rules_free(r);
	}
}
END_TEST

START_TEST(rules_oma_attributes)
{
	struct pres_rules *r = rules_from(RS_HEAD
		RULE("r", "", "allow",
			"<pr:provide-services><pr:all-services/></pr:provide-services>"
			"<op:provide-willingness>true</op:provide-willingness>") RS_TAIL);
	static const char *doc =
		"<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:op='urn:oma:xml:prs:pidf:oma-pres' entity='sip:p@x.com'>"
		"<!-- secret --><tuple id='t'><?pi x?><status><basic>open</basic><op:willingness><op:basic>open</op:basic></op:willingness></status>"
		"<op:service-description><op:service-id>org.openmobilealliance:PoC-session</op:service-id><op:version>1.0</op:version></op:service-description>"
		"<op:session-participation><op:basic>open</op:basic></op:session-participation>"
		"<contact>sip:p@x.com</contact></tuple></presence>";
	struct pres_watcher w = { "sip:z@y.com", 0, NULL };
	struct pres_decision d;
	char *out;
	size_t olen;

	ck_assert_int_eq(pres_rules_eval(r, &w, 0, NULL, NULL, NULL, &d), PRES_OK);
	ck_assert_int_eq(pres_transform(&d, S(doc), &out, &olen), PRES_OK);
	ck_assert_int_eq(xp_count(out, olen, "//op:willingness"), 1);
	ck_assert_int_eq(xp_count(out, olen, "//op:service-description"), 1);
	ck_assert_int_eq(xp_count(out, olen, "//op:session-participation"), 0);
	ck_assert_ptr_null(strstr(out, "secret"));   /* comments never leak */
	ck_assert_ptr_null(strstr(out, "<?pi"));
	free(out);
	pres_decision_clear(&d);
	pres_rules_free(r);
}
END_TEST

START_TEST(rules_key)
{
	struct pres_rules *r1 = rules_from(RS_HEAD
		RULE("r", "", "allow", "<pr:provide-services><pr:occurrence-id>a</pr:occurrence-id>"
			"<pr:occurrence-id>b</pr:occurrence-id></pr:provide-services>") RS_TAIL);
	struct pres_rules *r2 = rules_from(RS_HEAD
		RULE("x", "", "allow", "<pr:provide-services><pr:occurrence-id>b</pr:occurrence-id></pr:provide-services>")
		RULE("y", "", "allow", "<pr:provide-services><pr:occurrence-id>a</pr:occurrence-id></pr:provide-services>") RS_TAIL);
	struct pres_rules *r3 = rules_from(RS_HEAD
		RULE("r", "", "allow", "<pr:provide-services><pr:occurrence-id>a,b</pr:occurrence-id></pr:provide-services>") RS_TAIL);
	struct pres_watcher w = { "sip:z@y.com", 0, NULL };
	struct pres_decision d1, d2, d3;
	char k1[128], k2[128], k3[128], tiny[4];

	ck_assert_int_eq(pres_rules_eval(r1, &w, 0, NULL, NULL, NULL, &d1), PRES_OK);
	ck_assert_int_eq(pres_rules_eval(r2, &w, 0, NULL, NULL, NULL, &d2), PRES_OK);
	ck_assert_int_eq(pres_rules_eval(r3, &w, 0, NULL, NULL, NULL, &d3), PRES_OK);
	ck_assert_int_eq(pres_decision_key(&d1, k1, sizeof(k1)), PRES_OK);
	ck_assert_int_eq(pres_decision_key(&d2, k2, sizeof(k2)), PRES_OK);
	ck_assert_int_eq(pres_decision_key(&d3, k3, sizeof(k3)), PRES_OK);
	ck_assert_str_eq(k1, k2);     /* order of rules and values does not matter */
	ck_assert_str_ne(k1, k3);     /* separators are escaped */
	ck_assert_int_eq(pres_decision_key(&d1, tiny, sizeof(tiny)), PRES_ETOOBIG);
	pres_decision_clear(&d1);
	pres_decision_clear(&d2);
	pres_decision_clear(&d3);
	/* polite-block keys ignore transformations */
	d1.sub_handling = PRES_SUB_POLITE_BLOCK;
	ck_assert_int_eq(pres_decision_key(&d1, k1, sizeof(k1)), PRES_OK);
	ck_assert_str_eq(k1, "s=2");
	pres_rules_free(r1);
	pres_rules_free(r2);
	pres_rules_free(r3);
}
END_TEST

START_TEST(rules_parse_errors)
{
	struct pres_rules *r = (struct pres_rules *)1;
	char err[128];
	static const char *bad[] = {
		"<ruleset xmlns='urn:example'/>",
		RS_HEAD "<cr:rule><cr:conditions/></cr:rule>" RS_TAIL,
		RS_HEAD "<cr:rule id='a'/><cr:rule id='a'/>" RS_TAIL,
		RS_HEAD RULE("a", "", "maybe", "") RS_TAIL,
		RS_HEAD RULE("a", "", "allow", "<pr:provide-mood>yes</pr:provide-mood>") RS_TAIL,
		RS_HEAD RULE("a", "", "allow", "<pr:provide-user-input>some</pr:provide-user-input>") RS_TAIL,
		RS_HEAD RULE("a", "<cr:validity><cr:from>2003-08-15T10:20:00Z</cr:from></cr:validity>", "allow", "") RS_TAIL,
		RS_HEAD RULE("a", "<cr:validity><cr:from>soon</cr:from><cr:until>later</cr:until></cr:validity>", "allow", "") RS_TAIL,
		RS_HEAD RULE("a", "<cr:identity><cr:one/></cr:identity>", "allow", "") RS_TAIL,
		RS_HEAD RULE("a", "<cr:sphere/>", "allow", "") RS_TAIL,
		"<!DOCTYPE x><cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy'/>",
		"<cr:ruleset xmlns:cr='urn:ietf:params:xml:ns:common-policy'>",
	};
	size_t i;

	for (i = 0; i < PRES_ARRAY_LEN(bad); i++) {
		r = (struct pres_rules *)1;
		err[0] = '\0';
		ck_assert_msg(pres_rules_parse(S(bad[i]), &r, err, sizeof(err)) == PRES_EINVAL,
		    "case %zu accepted", i);
		ck_assert_ptr_null(r);
		ck_assert_msg(err[0] != '\0', "case %zu: no reason", i);
	}
}
END_TEST

/* ---- 4. watcherinfo ----------------------------------------------------------- */

START_TEST(winfo_rfc3858)
{
	struct pres_winfo_watcher w[2] = {
		{ "8ajksjda7s", "sip:userA@example.net", NULL, PRES_WINFO_ACTIVE,
		  PRES_WINFO_EV_APPROVED, 509, -1 },
		{ "hh8juja87s997-ass7", "sip:userB@example.org", "Mr. Subscriber",
		  PRES_WINFO_PENDING, PRES_WINFO_EV_SUBSCRIBE, -1, -1 },
	};
	struct pres_winfo_watcher p = { "hh8juja87s997-ass7", "sip:userB@example.org",
		"Mr. Subscriber", PRES_WINFO_ACTIVE, PRES_WINFO_EV_APPROVED, 20, -1 };
	char *out, *exp;
	size_t len, elen;

	ck_assert_int_eq(pres_winfo_build("sip:professor@example.net", "presence", 0, 1,
	    w, 2, &out, &len), PRES_OK);
	exp = load("rfc3858-full.xml", &elen);
	assert_xml_eq(out, len, exp, elen);
	free(out);
	free(exp);
	ck_assert_int_eq(pres_winfo_build("sip:professor@example.net", "presence", 1, 0,
	    &p, 1, &out, &len), PRES_OK);
	exp = load("winfo-partial.xml", &elen);
	assert_xml_eq(out, len, exp, elen);
	free(out);
	free(exp);
}
END_TEST

START_TEST(winfo_fields)
{
	struct pres_winfo_watcher w = { "x1", "sip:a&b@example.net", "A <B>", PRES_WINFO_TERMINATED,
		PRES_WINFO_EV_TIMEOUT, 3600, 0 };
	char *out, *s;
	size_t len;

	ck_assert_int_eq(pres_winfo_build("sip:p@x", "presence.winfo", 7, 1, &w, 1, &out, &len), PRES_OK);
	s = xp_str(out, len, "/w:watcherinfo/w:watcher-list/w:watcher");
	ck_assert_str_eq(s, "sip:a&b@example.net");
	free(s);
	s = xp_str(out, len, "//w:watcher/@display-name");
	ck_assert_str_eq(s, "A <B>");
	free(s);
	s = xp_str(out, len, "//w:watcher/@status");
	ck_assert_str_eq(s, "terminated");
	free(s);
	s = xp_str(out, len, "//w:watcher/@event");
	ck_assert_str_eq(s, "timeout");
	free(s);
	s = xp_str(out, len, "//w:watcher/@expiration");
	ck_assert_str_eq(s, "0");
	free(s);
	s = xp_str(out, len, "/w:watcherinfo/@version");
	ck_assert_str_eq(s, "7");
	free(s);
	free(out);
	/* empty full list */
	ck_assert_int_eq(pres_winfo_build("sip:p@x", "presence", 0, 1, NULL, 0, &out, &len), PRES_OK);
	ck_assert_int_eq(xp_count(out, len, "//w:watcher"), 0);
	ck_assert_int_eq(xp_count(out, len, "//w:watcher-list[@package='presence']"), 1);
	free(out);
	w.id = NULL;
	ck_assert_int_eq(pres_winfo_build("sip:p@x", "presence", 0, 1, &w, 1, &out, &len), PRES_EINVAL);
	w.id = "x";
	w.status = (enum pres_winfo_status)9;
	ck_assert_int_eq(pres_winfo_build("sip:p@x", "presence", 0, 1, &w, 1, &out, &len), PRES_EINVAL);
}
END_TEST

/* ---- 5. RLMI and multipart ---------------------------------------------------- */

START_TEST(rlmi_rfc4662)
{
	struct pres_rlmi_instance bob = { "juwigmtboe", PRES_RLMI_ACTIVE, NULL, "bUZBsM@pres.example.com" };
	struct pres_rlmi_instance dave = { "hqzsuxtfyq", PRES_RLMI_ACTIVE, NULL, "ZvSvkz@pres.example.com" };
	struct pres_rlmi_instance ed = { "sdlkmeopdf", PRES_RLMI_PENDING, "ignored", NULL };
	struct pres_rlmi_resource full[4] = {
		{ "sip:bob@example.com", "Bob Smith", &bob, 1 },
		{ "sip:dave@example.com", "Dave Jones", &dave, 1 },
		{ "sip:ed@example.net", "Ed at NET", NULL, 0 },
		{ "sip:adam-friends@example.org", "My Friends at ORG", NULL, 0 },
	};
	struct pres_rlmi_resource part = { "sip:ed@example.net", "Ed at NET", &ed, 1 };
	struct pres_rlmi_instance term = { "x", PRES_RLMI_TERMINATED, "rejected", NULL };
	struct pres_rlmi_resource tres = { "sip:z@example.net", NULL, &term, 1 };
	char *out, *exp, *s;
	size_t len, elen;

	ck_assert_int_eq(pres_rlmi_build("sip:adam-friends@pres.example.com", 1, 1,
	    "Buddy List at COM", full, 4, &out, &len), PRES_OK);
	exp = load("rfc4662-rlmi-full.xml", &elen);
	assert_xml_eq(out, len, exp, elen);
	free(out);
	free(exp);
	ck_assert_int_eq(pres_rlmi_build("sip:adam-friends@pres.example.com", 2, 0,
	    NULL, &part, 1, &out, &len), PRES_OK);
	exp = load("rfc4662-rlmi-partial.xml", &elen);
	assert_xml_eq(out, len, exp, elen);
	free(out);
	free(exp);
	ck_assert_int_eq(pres_rlmi_build("sip:l@x", 3, 0, NULL, &tres, 1, &out, &len), PRES_OK);
	s = strstr(out, "reason=\"rejected\"");
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(out, "state=\"terminated\""));
	free(out);
	term.id = NULL;
	ck_assert_int_eq(pres_rlmi_build("sip:l@x", 3, 0, NULL, &tres, 1, &out, &len), PRES_EINVAL);
}
END_TEST

START_TEST(multipart_structure)
{
	static const char rlmi[] = "<list/>";
	static const char p1[] = "<presence/>\r\n";
	struct pres_mime_part parts[2] = {
		{ "bUZBsM@pres.example.com", "application/pidf+xml;charset=\"UTF-8\"", p1, sizeof(p1) - 1 },
		{ "nXYxAE@pres.example.com", "application/rlmi+xml;charset=\"UTF-8\"", rlmi, sizeof(rlmi) - 1 },
	};
	static const char expect[] =
		"--50UBfW7LSCVLtggUPe5z\r\n"
		"Content-Transfer-Encoding: binary\r\n"
		"Content-ID: <nXYxAE@pres.example.com>\r\n"
		"Content-Type: application/rlmi+xml;charset=\"UTF-8\"\r\n"
		"\r\n"
		"<list/>\r\n"
		"--50UBfW7LSCVLtggUPe5z\r\n"
		"Content-Transfer-Encoding: binary\r\n"
		"Content-ID: <bUZBsM@pres.example.com>\r\n"
		"Content-Type: application/pidf+xml;charset=\"UTF-8\"\r\n"
		"\r\n"
		"<presence/>\r\n\r\n"
		"--50UBfW7LSCVLtggUPe5z--\r\n";
	char *out, *ct;
	size_t len;
	struct pres_mime_part clash = { "c@x", "text/plain", "a\r\n--50UBfW7LSCVLtggUPe5z\r\n", 27 };

	ck_assert_int_eq(pres_multipart_build("50UBfW7LSCVLtggUPe5z", "nXYxAE@pres.example.com",
	    PRES_MIME_RLMI, parts, 2, &out, &len, &ct), PRES_OK);
	ck_assert_uint_eq(len, sizeof(expect) - 1);
	ck_assert_str_eq(out, expect);
	ck_assert_str_eq(ct, "multipart/related;type=\"application/rlmi+xml\";"
	    "start=\"<nXYxAE@pres.example.com>\";boundary=\"50UBfW7LSCVLtggUPe5z\"");
	free(out);
	free(ct);
	/* errors */
	ck_assert_int_eq(pres_multipart_build("bad\"boundary", "nXYxAE@pres.example.com",
	    PRES_MIME_RLMI, parts, 2, &out, &len, NULL), PRES_EINVAL);
	ck_assert_int_eq(pres_multipart_build("", "x", PRES_MIME_RLMI, parts, 2, &out, &len, NULL), PRES_EINVAL);
	ck_assert_int_eq(pres_multipart_build("b", "missing@x", PRES_MIME_RLMI, parts, 2, &out, &len, NULL), PRES_EINVAL);
	ck_assert_int_eq(pres_multipart_build("50UBfW7LSCVLtggUPe5z", "c@x", "text/plain", &clash, 1,
	    &out, &len, NULL), PRES_ECONFLICT);
	ck_assert_ptr_null(out);
	parts[0].content_type = "text/plain\r\nX-Evil: 1";
	ck_assert_int_eq(pres_multipart_build("b", "nXYxAE@pres.example.com", PRES_MIME_RLMI,
	    parts, 2, &out, &len, NULL), PRES_EINVAL);
}
END_TEST

/* ---- 6. xcap-diff --------------------------------------------------------------- */

START_TEST(xcapdiff_rfc5874)
{
	static const char patch[] = "<add sel=\"*\"><foo>this is a new element</foo></add>";
	static const char list[] =
		"<rl:list xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\" name=\"L1\">"
		"<rl:entry uri=\"sip:alice@example.com\"/><rl:entry uri=\"sip:bob@example.com\"/></rl:list>";
	struct pres_xcapdiff_entry e[6] = {
		{ PRES_XD_DOCUMENT, "resource-lists/users/sip:joe@example.com/index", "6", "7", patch, sizeof(patch) - 1, 1 },
		{ PRES_XD_DOCUMENT, "rls-services/users/sip:joe@example.com/index", "6", "7", NULL, 0, 1 },
		{ PRES_XD_DOCUMENT, "pidf-manipulation/users/sip:joe@example.com/index", "7", "8", PRES_XD_BODY_NOT_CHANGED, 0, 1 },
		{ PRES_XD_ELEMENT, "resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5b@name=%22L1%22%5d",
		  NULL, NULL, list, sizeof(list) - 1, 1 },
		{ PRES_XD_ATTRIBUTE, "resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5b@name=%22L1%22%5d/@name",
		  NULL, NULL, "L1", 2, 1 },
		{ PRES_XD_ELEMENT, "resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5b@name=%22L2%22%5d",
		  NULL, NULL, NULL, 0, 0 },
	};
	char *out, *exp;
	size_t len, elen;
	static const char bad[] = "<add sel='*'>";
	struct pres_xcapdiff_entry b = { PRES_XD_DOCUMENT, "x/users/y/z", "1", "2", bad, sizeof(bad) - 1, 1 };

	ck_assert_int_eq(pres_xcapdiff_build("http://xcap.example.com/root/", e, 6, &out, &len), PRES_OK);
	exp = load("rfc5874-example.xml", &elen);
	assert_xml_eq(out, len, exp, elen);
	free(out);
	free(exp);
	ck_assert_int_eq(pres_xcapdiff_build("http://xcap.example.com/root/", &b, 1, &out, &len), PRES_EINVAL);
	ck_assert_ptr_null(out);
	/* a removed document: no new-etag */
	b.content = NULL;
	b.new_etag = NULL;
	ck_assert_int_eq(pres_xcapdiff_build("http://x/", &b, 1, &out, &len), PRES_OK);
	ck_assert_ptr_null(strstr(out, "new-etag"));
	ck_assert_ptr_nonnull(strstr(out, "previous-etag=\"1\""));
	free(out);
}
END_TEST


/* ---- 7. filters -------------------------------------------------------------- */

#define FS_HEAD "<filter-set xmlns='urn:ietf:params:xml:ns:simple-filter'>" \
	"<ns-bindings><ns-binding prefix='pidf' urn='urn:ietf:params:xml:ns:pidf'/>" \
	"<ns-binding prefix='dm' urn='urn:ietf:params:xml:ns:pidf:data-model'/></ns-bindings>"
#define FS_TAIL "</filter-set>"

static struct pres_filter *filter_from(const char *xml)
{
	struct pres_filter *f = NULL;
	char err[160];

	ck_assert_msg(pres_filter_parse(xml, strlen(xml), &f, err, sizeof(err)) == PRES_OK,
	    "filter parse: %s", err);
	return f;
}

START_TEST(filter_what)
{
	/* RFC 4661 style: only the tuple with a given contact */
	static const char *func = FS_HEAD
		"<filter id='123' uri='sip:someone@example.com'><what>"
		"<include>/presence/dm:person[@id='p1']/*[local-name()='x']</include>"
		"</what></filter>" FS_TAIL;
	struct pres_filter *f = (struct pres_filter *)1;
	size_t len, olen;
	char *doc = load("rfc4479-pidf.xml", &len), *out;
	char err[128];

	/* functions are outside the supported subset */
	ck_assert_int_eq(pres_filter_parse(S(func), &f, err, sizeof(err)), PRES_EINVAL);
	ck_assert_ptr_null(f);
	f = filter_from(FS_HEAD
		"<filter id='123' uri='sip:someone@example.com'><what>"
		"<include type='xpath'>/pidf:presence/pidf:tuple[pidf:contact='mailto:someone@example.com']</include>"
		"<include>/presence/person[@id='p1']/activities</include>"
		"<exclude>/pidf:presence/pidf:tuple/pidf:contact</exclude>"
		"</what></filter>" FS_TAIL);
	ck_assert_int_eq(pres_filter_apply(f, doc, len, &out, &olen), PRES_OK);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple"), 1);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple[@id='mail-tuple']/p:status/p:basic"), 1);
	ck_assert_int_eq(xp_count(out, olen, "//p:contact"), 0);
	/* the ancestor person is kept as a shell around the activities */
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:person[@id='p1']/*"), 1);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:person/r:activities/r:meeting"), 1);
	ck_assert_int_eq(xp_count(out, olen, "//p:note | //dm:device"), 0);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence[@entity='pres:someone@example.com']"), 1);
	free(out);
	pres_filter_free(f);

	/* a filter for another resource does not apply */
	f = filter_from(FS_HEAD "<filter id='1' uri='sip:other@example.com'><what>"
		"<include>/presence/tuple</include></what></filter>" FS_TAIL);
	ck_assert_int_eq(pres_filter_apply(f, doc, len, &out, &olen), PRES_OK);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:device"), 1);
	free(out);
	pres_filter_free(f);

	/* domain filter, exclude only */
	f = filter_from(FS_HEAD "<filter id='1' domain='example.com'><what>"
		"<exclude>/pidf:presence/dm:person</exclude><exclude>/presence/tuple[@id='tel-tuple']</exclude>"
		"</what></filter>" FS_TAIL);
	ck_assert_int_eq(pres_filter_apply(f, doc, len, &out, &olen), PRES_OK);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:person"), 0);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple"), 2);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/dm:device"), 1);
	free(out);
	pres_filter_free(f);

	/* disabled filter */
	f = filter_from(FS_HEAD "<filter id='1' enabled='false'><what>"
		"<exclude>/presence/tuple</exclude></what></filter>" FS_TAIL);
	ck_assert_int_eq(pres_filter_apply(f, doc, len, &out, &olen), PRES_OK);
	ck_assert_int_eq(xp_count(out, olen, "/p:presence/p:tuple"), 3);
	free(out);
	pres_filter_free(f);
	free(doc);
}
END_TEST

static const char *TR_OLD =
	"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x.com'>"
	"<tuple id='t1'><status><basic>closed</basic></status></tuple>"
	"<tuple id='t2'><status><basic>open</basic></status><note>x</note></tuple></presence>";
static const char *TR_NEW =
	"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x.com'>"
	"<tuple id='t1'><status><basic>open</basic></status></tuple>"
	"<tuple id='t2'><status><basic>open</basic></status><note>y</note></tuple>"
	"<tuple id='t3'><status><basic>open</basic></status></tuple></presence>";

START_TEST(filter_triggers)
{
	struct pres_filter *f;

	/* RFC 4661 style: basic status of a tuple goes from closed to open */
	f = filter_from(FS_HEAD "<filter id='1'><trigger>"
		"<changed from='closed' to='open'>/pidf:presence/pidf:tuple[@id='t1']/pidf:status/pidf:basic</changed>"
		"</trigger></filter>" FS_TAIL);
	ck_assert_int_eq(pres_filter_triggered(f, S(TR_OLD), S(TR_NEW)), 1);
	ck_assert_int_eq(pres_filter_triggered(f, S(TR_NEW), S(TR_OLD)), 0);   /* open → closed */
	ck_assert_int_eq(pres_filter_triggered(f, S(TR_NEW), S(TR_NEW)), 0);
	ck_assert_int_eq(pres_filter_triggered(f, NULL, 0, S(TR_NEW)), 1);     /* first NOTIFY */
	pres_filter_free(f);

	/* added / removed tuples (by id), OR across <trigger>s */
	f = filter_from(FS_HEAD "<filter id='1'>"
		"<trigger><added>/presence/tuple</added></trigger>"
		"<trigger><removed>/presence/tuple</removed></trigger></filter>" FS_TAIL);
	ck_assert_int_eq(pres_filter_triggered(f, S(TR_OLD), S(TR_NEW)), 1);
	ck_assert_int_eq(pres_filter_triggered(f, S(TR_NEW), S(TR_OLD)), 1);
	ck_assert_int_eq(pres_filter_triggered(f, S(TR_OLD), S(TR_OLD)), 0);
	pres_filter_free(f);

	/* AND within one <trigger> */
	f = filter_from(FS_HEAD "<filter id='1'><trigger>"
		"<added>/presence/tuple</added>"
		"<changed>/presence/tuple[@id='t2']/note</changed></trigger></filter>" FS_TAIL);
	ck_assert_int_eq(pres_filter_triggered(f, S(TR_OLD), S(TR_NEW)), 1);
	pres_filter_free(f);
	f = filter_from(FS_HEAD "<filter id='1'><trigger>"
		"<added>/presence/tuple</added>"
		"<changed>/presence/tuple[@id='t1']/@id</changed></trigger></filter>" FS_TAIL);
	ck_assert_int_eq(pres_filter_triggered(f, S(TR_OLD), S(TR_NEW)), 0);
	pres_filter_free(f);

	/* no triggers: notify only when the filtered view changed */
	f = filter_from(FS_HEAD "<filter id='1'><what><include>/presence/tuple[@id='t1']</include></what></filter>" FS_TAIL);
	ck_assert_int_eq(pres_filter_triggered(f, S(TR_OLD), S(TR_NEW)), 1);
	pres_filter_free(f);
	f = filter_from(FS_HEAD "<filter id='1'><what><include>/presence/tuple[@id='t9']</include></what></filter>" FS_TAIL);
	ck_assert_int_eq(pres_filter_triggered(f, S(TR_OLD), S(TR_NEW)), 0);
	pres_filter_free(f);
}
END_TEST

START_TEST(filter_unsupported)
{
	static const char *bad[] = {
		FS_HEAD "<filter id='1'><what><include type='namespace'>urn:x</include></what></filter>" FS_TAIL,
		FS_HEAD "<filter id='1'><what><include>//tuple</include></what></filter>" FS_TAIL,
		FS_HEAD "<filter id='1'><what><include>/presence/tuple[contains(@id,'x')]</include></what></filter>" FS_TAIL,
		FS_HEAD "<filter id='1'><what><include>/presence/child::tuple</include></what></filter>" FS_TAIL,
		FS_HEAD "<filter id='1'><what><include>tuple</include></what></filter>" FS_TAIL,
		FS_HEAD "<filter id='1'><what><include>/x:presence</include></what></filter>" FS_TAIL,
		FS_HEAD "<filter id='1'><what><include>/presence/@entity</include></what></filter>" FS_TAIL,
		FS_HEAD "<filter id='1'><trigger><changed by='1'>/presence/tuple</changed></trigger></filter>" FS_TAIL,
		FS_HEAD "<filter id='1'><trigger><moved>/presence</moved></trigger></filter>" FS_TAIL,
		FS_HEAD "<filter><what/></filter>" FS_TAIL,
		"<filter-set xmlns='urn:example'/>",
	};
	struct pres_filter *f;
	char err[160];
	size_t i;

	for (i = 0; i < PRES_ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		ck_assert_msg(pres_filter_parse(S(bad[i]), &f, err, sizeof(err)) == PRES_EINVAL,
		    "case %zu accepted", i);
		ck_assert_ptr_null(f);
		ck_assert_msg(err[0], "case %zu without reason", i);
	}
}
END_TEST


/* ---- robustness: every parser on every prefix of the sample documents ---- */

START_TEST(robust_truncations)
{
	static const char *files[] = {
		"rfc4479-pidf.xml", "rfc5025-example.xml", "oma-default-rules.xml",
		"rfc5874-example.xml",
	};
	size_t fi, cut;

	for (fi = 0; fi < PRES_ARRAY_LEN(files); fi++) {
		size_t len;
		char *doc = load(files[fi], &len);

		for (cut = 1; cut <= len; cut += 7) {
			struct pres_rules *r = NULL;
			struct pres_filter *f = NULL;
			struct pres_pub_in in = { doc, cut, 1 };
			struct pres_decision d;
			char *out = NULL, sp[16];
			size_t olen;
			int rc;

			rc = pres_pidf_check(doc, cut, NULL, NULL, 0);
			ck_assert(rc == PRES_OK || rc == PRES_EINVAL);
			(void)pres_pidf_sphere(doc, cut, sp, sizeof(sp));
			rc = pres_rules_parse(doc, cut, &r, NULL, 0);
			ck_assert(rc == PRES_OK ? r != NULL : r == NULL);
			pres_rules_free(r);
			(void)pres_filter_parse(doc, cut, &f, NULL, 0);
			pres_filter_free(f);
			ck_assert_int_eq(pres_compose("sip:someone@example.com", &in, 1, NULL, 0, &out, &olen), PRES_OK);
			free(out);
			ck_assert_int_eq(pres_decision_allow_all(&d), PRES_OK);
			rc = pres_transform(&d, doc, cut, &out, &olen);
			ck_assert(rc == PRES_OK ? out != NULL : out == NULL);
			free(out);
			pres_decision_clear(&d);
		}
		free(doc);
	}
}
END_TEST

static Suite *presence_suite(void)
{
	Suite *s = suite_create("presence");
	TCase *tc;

	tc = tcase_create("pidf");
	tcase_add_test(tc, pidf_good);
	tcase_add_test(tc, pidf_bad);
	tcase_add_test(tc, pidf_doctype_refused);
	tcase_add_test(tc, pidf_too_big);
	tcase_add_test(tc, pidf_sphere);
	suite_add_tcase(s, tc);

	tc = tcase_create("compose");
	tcase_add_test(tc, compose_merge);
	tcase_add_test(tc, compose_manipulation);
	tcase_add_test(tc, compose_empty_is_neutral);
	tcase_add_test(tc, compose_namespace_safety);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_test(tc, rules_rfc5025_example);
	tcase_add_test(tc, rules_empty_and_null);
	tcase_add_test(tc, rules_identity);
	tcase_add_test(tc, rules_watcher_domain);
	tcase_add_test(tc, rules_sphere_validity);
	tcase_add_test(tc, rules_datetime);
	tcase_add_test(tc, rules_oma);
	tcase_add_test(tc, rules_other_identity_anonymous);
	tcase_add_test(tc, rules_unsupported_condition);
	tcase_add_test(tc, rules_combining);
	tcase_add_test(tc, rules_transform_services_devices);
	tcase_add_test(tc, rules_each_attribute);
	tcase_add_test(tc, rules_oma_attributes);
	tcase_add_test(tc, rules_key);
	tcase_add_test(tc, rules_parse_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("winfo");
	tcase_add_test(tc, winfo_rfc3858);
	tcase_add_test(tc, winfo_fields);
	suite_add_tcase(s, tc);

	tc = tcase_create("rlmi");
	tcase_add_test(tc, rlmi_rfc4662);
	tcase_add_test(tc, multipart_structure);
	suite_add_tcase(s, tc);

	tc = tcase_create("xcapdiff");
	tcase_add_test(tc, xcapdiff_rfc5874);
	suite_add_tcase(s, tc);

	tc = tcase_create("filter");
	tcase_add_test(tc, filter_what);
	tcase_add_test(tc, filter_triggers);
	tcase_add_test(tc, filter_unsupported);
	suite_add_tcase(s, tc);

	tc = tcase_create("robust");
	tcase_add_test(tc, robust_truncations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	xmlInitParser();
	sr = srunner_create(presence_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	xmlCleanupParser();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
