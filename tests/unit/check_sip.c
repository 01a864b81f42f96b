/*
 * check_sip.c - unit tests of the SIP engine's pure parts: Expires rules,
 * Subscription-State values, trusted networks, dialog serialization (what
 * survives a restart), decision mapping, Accept handling, entity tags.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sofia-sip/sip_header.h>

#include "sip/psip_int.h"

START_TEST(t_event_kind)
{
	ck_assert_int_eq(psip_event_kind("presence"), PSIP_EV_PRESENCE);
	ck_assert_int_eq(psip_event_kind("Presence"), PSIP_EV_PRESENCE);
	ck_assert_int_eq(psip_event_kind("presence.winfo"), PSIP_EV_WINFO);
	ck_assert_int_eq(psip_event_kind("dialog"), PSIP_EV_UNKNOWN);
	ck_assert_int_eq(psip_event_kind("presence.winfo.x"), PSIP_EV_UNKNOWN);
	ck_assert_int_eq(psip_event_kind(NULL), PSIP_EV_UNKNOWN);
	ck_assert_str_eq(psip_event_name(PSIP_EV_WINFO), "presence.winfo");
}
END_TEST

START_TEST(t_expires)
{
	unsigned out = 0;

	/* absent: default */
	ck_assert_int_eq(psip_expires_grant(0, 0, 60, 7200, 3600, &out), 0);
	ck_assert_uint_eq(out, 3600);
	/* zero: removal / unsubscribe / fetch, never 423 */
	ck_assert_int_eq(psip_expires_grant(1, 0, 60, 7200, 3600, &out), 0);
	ck_assert_uint_eq(out, 0);
	/* below the minimum: 423 (RFC 3903 §6 step 5, RFC 6665 §4.2.1.1) */
	ck_assert_int_eq(psip_expires_grant(1, 59, 60, 7200, 3600, &out), 423);
	ck_assert_uint_eq(out, 60);
	ck_assert_int_eq(psip_expires_grant(1, 60, 60, 7200, 3600, &out), 0);
	ck_assert_uint_eq(out, 60);
	/* above the maximum: lowered */
	ck_assert_int_eq(psip_expires_grant(1, 100000, 60, 7200, 3600, &out), 0);
	ck_assert_uint_eq(out, 7200);
	ck_assert_int_eq(psip_expires_grant(1, 4294967295UL, 60, 7200, 3600, &out), 0);
	ck_assert_uint_eq(out, 7200);
}
END_TEST

START_TEST(t_substate)
{
	char b[64];

	ck_assert_int_eq(psip_substate_format(PSIP_ST_ACTIVE, 600, NULL, b, sizeof(b)), PRES_OK);
	ck_assert_str_eq(b, "active;expires=600");
	ck_assert_int_eq(psip_substate_format(PSIP_ST_PENDING, 30, NULL, b, sizeof(b)), PRES_OK);
	ck_assert_str_eq(b, "pending;expires=30");
	ck_assert_int_eq(psip_substate_format(PSIP_ST_TERMINATED, 0, "rejected", b, sizeof(b)), PRES_OK);
	ck_assert_str_eq(b, "terminated;reason=rejected");
	ck_assert_int_eq(psip_substate_format(PSIP_ST_TERMINATED, 0, "timeout", b, sizeof(b)), PRES_OK);
	ck_assert_str_eq(b, "terminated;reason=timeout");
	/* too small a buffer is an error, not a truncated header */
	ck_assert_int_eq(psip_substate_format(PSIP_ST_ACTIVE, 600, NULL, b, 8), PRES_ETOOBIG);
	ck_assert_int_eq(psip_state_parse("pending"), PSIP_ST_PENDING);
	ck_assert_int_eq(psip_state_parse("bogus"), -1);
}
END_TEST

static struct sockaddr_storage
addr(const char *s)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(s, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, s, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, s, &a->sin_addr), 1);
	}
	return ss;
}

START_TEST(t_trusted_nets)
{
	struct psip_net nets[3];
	struct sockaddr_storage a;

	ck_assert_int_eq(psip_net_parse("192.0.2.10", &nets[0]), PRES_OK);
	ck_assert_uint_eq(nets[0].prefix, 32);
	ck_assert_int_eq(psip_net_parse("10.20.0.0/14", &nets[1]), PRES_OK);
	ck_assert_int_eq(psip_net_parse("[2001:db8::]/33", &nets[2]), PRES_OK);
	ck_assert_uint_eq(nets[2].prefix, 33);

	a = addr("192.0.2.10");
	ck_assert_int_eq(psip_net_match(nets, 3, (struct sockaddr *)&a), 1);
	a = addr("192.0.2.11");
	ck_assert_int_eq(psip_net_match(nets, 3, (struct sockaddr *)&a), 0);
	a = addr("10.23.255.255");
	ck_assert_int_eq(psip_net_match(nets, 3, (struct sockaddr *)&a), 1);
	a = addr("10.24.0.0");
	ck_assert_int_eq(psip_net_match(nets, 3, (struct sockaddr *)&a), 0);
	a = addr("2001:db8:7fff::1");
	ck_assert_int_eq(psip_net_match(nets, 3, (struct sockaddr *)&a), 1);
	a = addr("2001:db8:8000::1");
	ck_assert_int_eq(psip_net_match(nets, 3, (struct sockaddr *)&a), 0);
	/* an IPv4 peer seen on a dual-stack socket */
	a = addr("::ffff:192.0.2.10");
	ck_assert_int_eq(psip_net_match(nets, 3, (struct sockaddr *)&a), 1);
	/* nothing configured: nobody is trusted */
	ck_assert_int_eq(psip_net_match(nets, 0, (struct sockaddr *)&a), 0);

	ck_assert_int_eq(psip_net_parse("192.0.2.1/33", &nets[0]), PRES_EINVAL);
	ck_assert_int_eq(psip_net_parse("192.0.2.1/", &nets[0]), PRES_EINVAL);
	ck_assert_int_eq(psip_net_parse("host.example.com", &nets[0]), PRES_EINVAL);
	ck_assert_int_eq(psip_net_parse("", &nets[0]), PRES_EINVAL);
	ck_assert_int_eq(psip_net_parse("::1/-1", &nets[0]), PRES_EINVAL);
}
END_TEST

START_TEST(t_dialog_roundtrip)
{
	struct psip_dialog d, e;
	char *s = NULL;

	memset(&d, 0, sizeof(d));
	d.call_id = strdup("a84b4c76e66710@pc33.example.com");
	d.local = strdup("<sip:alice@ims.example.com>;tag=srv1");
	d.remote = strdup("\"Bob\" <sip:bob@ims.example.com>;tag=w99");
	d.target = strdup("sip:bob@192.0.2.4:5070;transport=tcp");
	d.route = strdup("<sip:scscf.ims.example.com;lr>,<sip:pcscf.ims.example.com;lr>");
	d.contact = strdup("sip:127.0.0.1:5060;transport=udp");
	d.local_cseq = 4000000000u;
	ck_assert_int_eq(psip_dialog_serialize(&d, &s), PRES_OK);
	ck_assert_ptr_nonnull(strstr(s, "v=1\n"));
	ck_assert_int_eq(psip_dialog_parse(s, &e), PRES_OK);
	ck_assert_str_eq(e.call_id, d.call_id);
	ck_assert_str_eq(e.local, d.local);
	ck_assert_str_eq(e.remote, d.remote);
	ck_assert_str_eq(e.target, d.target);
	ck_assert_str_eq(e.route, d.route);
	ck_assert_str_eq(e.contact, d.contact);
	ck_assert_uint_eq(e.local_cseq, 4000000000u);
	psip_dialog_clear(&e);
	free(s);

	/* no route set */
	free(d.route);
	d.route = NULL;
	ck_assert_int_eq(psip_dialog_serialize(&d, &s), PRES_OK);
	ck_assert_int_eq(psip_dialog_parse(s, &e), PRES_OK);
	ck_assert_ptr_null(e.route);
	psip_dialog_clear(&e);
	free(s);

	/* a line break in a value would forge a key: refused */
	free(d.target);
	d.target = strdup("sip:x\ncseq=1");
	ck_assert_int_eq(psip_dialog_serialize(&d, &s), PRES_EINVAL);
	ck_assert_ptr_null(s);
	psip_dialog_clear(&d);
}
END_TEST

START_TEST(t_dialog_parse_bad)
{
	struct psip_dialog d;

	ck_assert_int_eq(psip_dialog_parse(NULL, &d), PRES_EINVAL);
	ck_assert_int_eq(psip_dialog_parse("", &d), PRES_EINVAL);
	/* version missing / unknown */
	ck_assert_int_eq(psip_dialog_parse("call-id=a\nlocal=<sip:a@b>;tag=1\n"
	    "remote=<sip:c@d>;tag=2\ntarget=sip:c@d\n", &d), PRES_EINVAL);
	ck_assert_int_eq(psip_dialog_parse("v=2\ncall-id=a\nlocal=<sip:a@b>;tag=1\n"
	    "remote=<sip:c@d>;tag=2\ntarget=sip:c@d\n", &d), PRES_EINVAL);
	/* target missing */
	ck_assert_int_eq(psip_dialog_parse("v=1\ncall-id=a\nlocal=<sip:a@b>;tag=1\n"
	    "remote=<sip:c@d>;tag=2\n", &d), PRES_EINVAL);
	/* duplicate key, bad cseq, line without '=' */
	ck_assert_int_eq(psip_dialog_parse("v=1\ncall-id=a\ncall-id=b\nlocal=x\nremote=y\n"
	    "target=sip:z\n", &d), PRES_EINVAL);
	ck_assert_int_eq(psip_dialog_parse("v=1\ncall-id=a\nlocal=x\nremote=y\ntarget=sip:z\n"
	    "cseq=99999999999\n", &d), PRES_EINVAL);
	ck_assert_int_eq(psip_dialog_parse("v=1\ncall-id=a\nlocal=x\nremote=y\ntarget=sip:z\n"
	    "junk\n", &d), PRES_EINVAL);
	/* unknown keys from a newer writer are ignored; no final newline is fine */
	ck_assert_int_eq(psip_dialog_parse("v=1\ncall-id=a\nlocal=x\nremote=y\ntarget=sip:z\n"
	    "future=1\ncseq=7", &d), PRES_OK);
	ck_assert_uint_eq(d.local_cseq, 7);
	psip_dialog_clear(&d);
}
END_TEST

/* The stored Record-Route string must parse back into the same route set. */
START_TEST(t_route_reparse)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_record_route_t *rr = sip_record_route_make(home,
	    "<sip:scscf.ims.example.com;lr>,<sip:pcscf.ims.example.com:5070;lr>");

	ck_assert_ptr_nonnull(rr);
	ck_assert_str_eq(rr->r_url->url_host, "scscf.ims.example.com");
	ck_assert_ptr_nonnull(rr->r_next);
	ck_assert_str_eq(rr->r_next->r_url->url_host, "pcscf.ims.example.com");
	ck_assert_str_eq(rr->r_next->r_url->url_port, "5070");
	ck_assert_ptr_null(rr->r_next->r_next);
	su_home_deinit(home);
}
END_TEST

START_TEST(t_decision_mapping)
{
	enum psip_state st;
	const char *reason;

	ck_assert_int_eq(psip_decision_apply(PSIP_DEC_ALLOW, PSIP_BLOCK_403, &st, &reason), 200);
	ck_assert_int_eq(st, PSIP_ST_ACTIVE);
	ck_assert_ptr_null(reason);
	/* polite-block looks like allow to the watcher (RFC 5025 §3.2.1) */
	ck_assert_int_eq(psip_decision_apply(PSIP_DEC_POLITE_BLOCK, PSIP_BLOCK_403, &st, &reason), 200);
	ck_assert_int_eq(st, PSIP_ST_ACTIVE);
	ck_assert_int_eq(psip_decision_apply(PSIP_DEC_CONFIRM, PSIP_BLOCK_403, &st, &reason), 200);
	ck_assert_int_eq(st, PSIP_ST_PENDING);
	ck_assert_int_eq(psip_decision_apply(PSIP_DEC_BLOCK, PSIP_BLOCK_403, &st, &reason), 403);
	ck_assert_int_eq(st, PSIP_ST_TERMINATED);
	ck_assert_str_eq(reason, "rejected");
	ck_assert_int_eq(psip_decision_apply(PSIP_DEC_BLOCK, PSIP_BLOCK_TERMINATE, &st, &reason), 200);
	ck_assert_int_eq(st, PSIP_ST_TERMINATED);
	ck_assert_str_eq(reason, "rejected");
}
END_TEST

START_TEST(t_status_from_rc)
{
	ck_assert_int_eq(psip_status_from_rc(PRES_OK), 200);
	ck_assert_int_eq(psip_status_from_rc(PRES_EINVAL), 400);
	ck_assert_int_eq(psip_status_from_rc(PRES_EAUTH), 403);
	ck_assert_int_eq(psip_status_from_rc(PRES_ENOTFOUND), 404);
	ck_assert_int_eq(psip_status_from_rc(PRES_EPRECOND), 412);
	ck_assert_int_eq(psip_status_from_rc(PRES_ETOOBIG), 413);
	ck_assert_int_eq(psip_status_from_rc(PRES_EDB), 500);
}
END_TEST

START_TEST(t_accept)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_accept_t *ac;

	ck_assert_int_eq(psip_accept_admits(NULL, PSIP_CT_PIDF), 1);
	ac = sip_accept_make(home, "application/pidf+xml, application/rlmi+xml");
	ck_assert_int_eq(psip_accept_admits(ac, PSIP_CT_PIDF), 1);
	ck_assert_int_eq(psip_accept_admits(ac, PSIP_CT_WINFO), 0);
	ac = sip_accept_make(home, "application/*");
	ck_assert_int_eq(psip_accept_admits(ac, PSIP_CT_WINFO), 1);
	ac = sip_accept_make(home, "text/plain");
	ck_assert_int_eq(psip_accept_admits(ac, PSIP_CT_PIDF), 0);
	ac = sip_accept_make(home, "*/*");
	ck_assert_int_eq(psip_accept_admits(ac, PSIP_CT_PIDF), 1);
	su_home_deinit(home);
}
END_TEST

START_TEST(t_etag_and_kv)
{
	char a[40], b[40], v[16];
	size_t i;

	ck_assert_int_eq(psip_etag_new(a, sizeof(a)), PRES_OK);
	ck_assert_int_eq(psip_etag_new(b, sizeof(b)), PRES_OK);
	ck_assert_uint_eq(strlen(a), 32);
	for (i = 0; a[i]; i++)
		ck_assert(strchr("0123456789abcdef", a[i]) != NULL);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(psip_etag_new(a, 32), PRES_ETOOBIG);

	ck_assert_int_eq(psip_kv_get("anon=1\nevid=x7\n", "evid", v, sizeof(v)), PRES_OK);
	ck_assert_str_eq(v, "x7");
	ck_assert_int_eq(psip_kv_get("anon=1\nevid=x7\n", "anon", v, sizeof(v)), PRES_OK);
	ck_assert_str_eq(v, "1");
	ck_assert_int_eq(psip_kv_get("anonymous=1\n", "anon", v, sizeof(v)), PRES_ENOTFOUND);
	ck_assert_int_eq(psip_kv_get(NULL, "anon", v, sizeof(v)), PRES_ENOTFOUND);
	ck_assert_int_eq(psip_kv_get("evid=0123456789abcdefXYZ", "evid", v, sizeof(v)), PRES_ETOOBIG);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sip");
	TCase *tc = tcase_create("pure");
	SRunner *r;
	int failed;

	tcase_add_test(tc, t_event_kind);
	tcase_add_test(tc, t_expires);
	tcase_add_test(tc, t_substate);
	tcase_add_test(tc, t_trusted_nets);
	tcase_add_test(tc, t_dialog_roundtrip);
	tcase_add_test(tc, t_dialog_parse_bad);
	tcase_add_test(tc, t_route_reparse);
	tcase_add_test(tc, t_decision_mapping);
	tcase_add_test(tc, t_status_from_rc);
	tcase_add_test(tc, t_accept);
	tcase_add_test(tc, t_etag_and_kv);
	suite_add_tcase(s, tc);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
