/*
 * check_sip_policy.c - the SIP engine's authorization decisions against a
 * real (in-memory) database: the default policy (no pres-rules document:
 * the configured no_rules_policy; a document without a matching rule:
 * block), the presentity watching itself, and OMA <external-list>
 * conditions resolved through resource-lists documents (nested lists,
 * <external anchor>, <entry-ref>, positions, other users' lists refused,
 * list changes seen by the next evaluation).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sip/psip_int.h"

#define ALICE "sip:alice@ims.example.com"
#define ALICE_TEL "tel:+15550001"
#define BOB "sip:bob@ims.example.com"
#define CAROL "sip:carol@ims.example.com"
#define DAVE "sip:dave@ims.example.com"
#define ROOT "https://xcap.ims.example.com:8443/xcap-root"

static struct psip P;
static struct db *DB;

static void
add_sub(const char *impi, const char *impu1, const char *impu2)
{
	struct db_subscriber s;

	memset(&s, 0, sizeof(s));
	pres_strlcpy(s.impi, impi, sizeof(s.impi));
	pres_strlcpy(s.impus[0], impu1, sizeof(s.impus[0]));
	s.n_impus = 1;
	if (impu2) {
		pres_strlcpy(s.impus[1], impu2, sizeof(s.impus[1]));
		s.n_impus = 2;
	}
	ck_assert_int_eq(db_subscriber_add(DB, &s), PRES_OK);
}

static void
setup(void)
{
	memset(&P, 0, sizeof(P));
	ck_assert_int_eq(db_open(":memory:", &DB), PRES_OK);
	P.db = DB;
	add_sub("alice@ims.example.com", ALICE, ALICE_TEL);
	add_sub("bob@ims.example.com", BOB, NULL);
}

static void
teardown(void)
{
	psip_subs_free(&P);	/* also the cached rounds */
	db_close(DB);
	DB = NULL;
}

static void
put(const char *auid, const char *xui, const char *name, const char *xml)
{
	ck_assert_int_eq(db_doc_put(DB, auid, xui, name, xml, strlen(xml), NULL, "e1"), PRES_OK);
	/* what handle_doc_change() does after an XCAP commit */
	psip_round_invalidate(&P, ALICE);
}

static enum psip_decision
dec(const char *watcher)
{
	return psip_body_decide(&P, ALICE, watcher, 0, NULL, 0);
}

#define RULESET_HEAD \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<cr:ruleset xmlns=\"urn:ietf:params:xml:ns:pres-rules\"" \
	" xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\"" \
	" xmlns:ocp=\"urn:oma:xml:xdm:common-policy\">"
#define ALLOW_ACTIONS \
	"<cr:actions><sub-handling>allow</sub-handling></cr:actions>" \
	"<cr:transformations><provide-all-attributes/></cr:transformations>"

static const char rules_bob[] = RULESET_HEAD
	"<cr:rule id=\"a\"><cr:conditions><cr:identity><cr:one id=\"" BOB "\"/>"
	"</cr:identity></cr:conditions>" ALLOW_ACTIONS "</cr:rule>"
	"<cr:rule id=\"c\"><cr:conditions><cr:identity><cr:one id=\"" DAVE "\"/>"
	"</cr:identity></cr:conditions><cr:actions><sub-handling>confirm</sub-handling>"
	"</cr:actions></cr:rule>"
	"</cr:ruleset>";

static char *
rules_external(const char *anc)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf), RULESET_HEAD
	    "<cr:rule id=\"friends\"><cr:conditions><ocp:external-list>"
	    "<ocp:entry anc=\"%s\"/></ocp:external-list></cr:conditions>" ALLOW_ACTIONS
	    "</cr:rule></cr:ruleset>", anc);
	return buf;
}

static const char lists[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
	"<list name=\"friends\">"
	"  <entry uri=\"sip:carol@ims.example.com\"/>"
	"  <list name=\"close\"><entry uri=\"sip:erin@ims.example.com\"/></list>"
	"  <external anchor=\"" ROOT "/resource-lists/users/sip:alice@ims.example.com/index/~~/resource-lists/list%5b@name=%22colleagues%22%5d\"/>"
	"  <entry-ref ref=\"resource-lists/users/sip:alice@ims.example.com/index/~~/resource-lists/list%5b@name=%22others%22%5d/entry%5b2%5d\"/>"
	"</list>"
	"<list name=\"colleagues\"><entry uri=\"sip:frank@ims.example.com\"/></list>"
	"<list name=\"others\"><entry uri=\"sip:gina@ims.example.com\"/>"
	"  <entry uri=\"sip:hank@ims.example.com\"/></list>"
	"</resource-lists>";

#define FRIENDS ROOT "/resource-lists/users/sip:alice@ims.example.com/index/~~/resource-lists/list%5b@name=%22friends%22%5d"

START_TEST(t_no_document_policy)
{
	ck_assert_int_eq(dec(BOB), PSIP_DEC_CONFIRM);	/* default: pending */
	/* the round is cached: a second evaluation reuses it */
	ck_assert_int_eq(dec(BOB), PSIP_DEC_CONFIRM);
	P.no_rules_policy = PSIP_NORULES_BLOCK;
	ck_assert_int_eq(dec(BOB), PSIP_DEC_BLOCK);
	P.no_rules_policy = PSIP_NORULES_ALLOW;
	ck_assert_int_eq(dec(BOB), PSIP_DEC_ALLOW);
	P.no_rules_policy = PSIP_NORULES_BLOCK;
	/* the presentity itself, under any of its IMPUs: always allowed */
	ck_assert_int_eq(dec(ALICE), PSIP_DEC_ALLOW);
	ck_assert_int_eq(dec(ALICE_TEL), PSIP_DEC_ALLOW);
	/* ... but not when it hides (anonymous) */
	ck_assert_int_eq(psip_body_decide(&P, ALICE, ALICE, 1, NULL, 0), PSIP_DEC_BLOCK);
}
END_TEST

START_TEST(t_document_without_match_blocks)
{
	put("pres-rules", ALICE, "index", rules_bob);
	ck_assert_int_eq(dec(BOB), PSIP_DEC_ALLOW);
	ck_assert_int_eq(dec(DAVE), PSIP_DEC_CONFIRM);
	ck_assert_int_eq(dec(CAROL), PSIP_DEC_BLOCK);	/* no rule: no permission */
	ck_assert_int_eq(psip_body_decide(&P, ALICE, NULL, 1, NULL, 0), PSIP_DEC_BLOCK);
	ck_assert_int_eq(dec(ALICE_TEL), PSIP_DEC_ALLOW);
	/* an empty ruleset is a document too: block, whatever no_rules_policy */
	P.no_rules_policy = PSIP_NORULES_ALLOW;
	put("pres-rules", ALICE, "index", RULESET_HEAD "</cr:ruleset>");
	ck_assert_int_eq(dec(BOB), PSIP_DEC_BLOCK);
}
END_TEST

START_TEST(t_document_under_other_impu)
{
	/* OMA AUID, stored under the tel IMPU of the same subscriber */
	put("org.openmobilealliance.pres-rules", ALICE_TEL, "pres-rules", rules_bob);
	ck_assert_int_eq(dec(BOB), PSIP_DEC_ALLOW);
	ck_assert_int_eq(dec(CAROL), PSIP_DEC_BLOCK);
}
END_TEST

START_TEST(t_external_list)
{
	put("pres-rules", ALICE, "index", rules_external(FRIENDS));
	/* no resource-lists document yet: nobody is a member */
	ck_assert_int_eq(dec(CAROL), PSIP_DEC_BLOCK);
	put("resource-lists", ALICE, "index", lists);
	ck_assert_int_eq(dec(CAROL), PSIP_DEC_ALLOW);                    /* entry */
	ck_assert_int_eq(dec("sip:erin@ims.example.com"), PSIP_DEC_ALLOW);  /* nested list */
	ck_assert_int_eq(dec("sip:frank@ims.example.com"), PSIP_DEC_ALLOW); /* external anchor */
	ck_assert_int_eq(dec("sip:hank@ims.example.com"), PSIP_DEC_ALLOW);  /* entry-ref [2] */
	ck_assert_int_eq(dec("sip:gina@ims.example.com"), PSIP_DEC_BLOCK);  /* not [2] */
	ck_assert_int_eq(dec(DAVE), PSIP_DEC_BLOCK);
	ck_assert_int_eq(psip_body_decide(&P, ALICE, NULL, 1, NULL, 0), PSIP_DEC_BLOCK);
	/* the list changes: the next evaluation sees it */
	put("resource-lists", ALICE, "index",
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
	    "<list name=\"friends\"><entry uri=\"sip:dave@ims.example.com\"/></list>"
	    "</resource-lists>");
	ck_assert_int_eq(dec(DAVE), PSIP_DEC_ALLOW);
	ck_assert_int_eq(dec(CAROL), PSIP_DEC_BLOCK);
}
END_TEST

START_TEST(t_external_list_forms)
{
	put("resource-lists", ALICE, "index", lists);
	put("resource-lists", BOB, "index", lists);
	/* relative to the root, single quotes, unencoded */
	put("pres-rules", ALICE, "index", rules_external(
	    "resource-lists/users/sip:alice@ims.example.com/index/~~/resource-lists/list[@name='colleagues']"));
	ck_assert_int_eq(dec("sip:frank@ims.example.com"), PSIP_DEC_ALLOW);
	ck_assert_int_eq(dec(CAROL), PSIP_DEC_BLOCK);
	/* the whole document (no node selector) */
	put("pres-rules", ALICE, "index", rules_external(
	    ROOT "/resource-lists/users/sip:alice@ims.example.com/index"));
	ck_assert_int_eq(dec("sip:gina@ims.example.com"), PSIP_DEC_ALLOW);
	/* a list of the same subscriber's other IMPU is fine, bob's is not */
	put("resource-lists", ALICE_TEL, "index", lists);
	put("pres-rules", ALICE, "index", rules_external(
	    ROOT "/resource-lists/users/tel:+15550001/index/~~/resource-lists/list%5b@name=%22friends%22%5d"));
	ck_assert_int_eq(dec(CAROL), PSIP_DEC_ALLOW);
	put("pres-rules", ALICE, "index", rules_external(
	    ROOT "/resource-lists/users/sip:bob@ims.example.com/index/~~/resource-lists/list%5b@name=%22friends%22%5d"));
	ck_assert_int_eq(dec(CAROL), PSIP_DEC_BLOCK);
	/* malformed references never match and never crash */
	static const char *bad[] = {
	    ROOT "/resource-lists/users/sip:alice@ims.example.com/index/~~/resource-lists/list%5b@name=%22friends",
	    ROOT "/resource-lists/users/sip:alice@ims.example.com/index/~~/resource-lists/list%5b0%5d",
	    ROOT "/resource-lists/users/sip:alice@ims.example.com/index/~~/resource-lists/nolist",
	    ROOT "/resource-lists/users/sip:alice@ims.example.com/missing/~~/resource-lists/list",
	    ROOT "/resource-lists/users/sip:alice@ims.example.com",
	    ROOT "/resource-lists/users/%zz/index",
	    ROOT "/resource-lists/users/sip:alice%00@ims.example.com/index",
	    ROOT "/pres-rules/users/sip:alice@ims.example.com/index",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("pres-rules", ALICE, "index", rules_external(bad[i]));
		ck_assert_msg(dec(CAROL) == PSIP_DEC_BLOCK, "case %zu", i);
	}
}
END_TEST

START_TEST(t_external_list_loop)
{
	/* a list that includes itself: bounded, and still finds real entries */
	put("resource-lists", ALICE, "index",
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
	    "<list name=\"friends\"><external anchor=\"" FRIENDS "\"/>"
	    "<entry uri=\"sip:carol@ims.example.com\"/></list></resource-lists>");
	put("pres-rules", ALICE, "index", rules_external(FRIENDS));
	ck_assert_int_eq(dec(CAROL), PSIP_DEC_ALLOW);
	ck_assert_int_eq(dec(DAVE), PSIP_DEC_BLOCK);
	/* a document with a DOCTYPE is not used */
	put("resource-lists", ALICE, "index",
	    "<!DOCTYPE x [<!ENTITY e \"sip:carol@ims.example.com\">]>"
	    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
	    "<list name=\"friends\"><entry uri=\"&e;\"/></list></resource-lists>");
	ck_assert_int_eq(dec(CAROL), PSIP_DEC_BLOCK);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sip_policy");
	TCase *tc = tcase_create("policy");
	SRunner *sr;
	int failed;

	log_init(0, "check_sip_policy", LOG_LVL_ERR);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_no_document_policy);
	tcase_add_test(tc, t_document_without_match_blocks);
	tcase_add_test(tc, t_document_under_other_impu);
	tcase_add_test(tc, t_external_list);
	tcase_add_test(tc, t_external_list_forms);
	tcase_add_test(tc, t_external_list_loop);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
