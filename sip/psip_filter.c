/*
 * psip_filter.c - event notification filters (RFC 4660, RFC 4661 format)
 * carried in the body of a SUBSCRIBE: parsing through presence/
 * (pres_filter_parse) and the responses RFC 4660 gives the notifier:
 *  - a body of another type than application/simple-filter+xml: 415 with
 *    Accept: application/simple-filter+xml;
 *  - a filter document that is not well-formed XML: 400;
 *  - a well-formed filter using features we do not support (namespace
 *    filters, by=, XPath beyond the supported subset...): 488 Not
 *    Acceptable Here.
 * Also base64 helpers used to keep the filter in db_sub.extra.
 */
#include "config.h"

#include "sip/psip_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <openssl/evp.h>

#include "presence/presence.h"

char *
psip_b64_encode(const char *in, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	char *out;

	if (len > PRES_DOC_MAX || (out = malloc(cap)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len);
	return out;
}

char *
psip_b64_decode(const char *in, size_t *len)
{
	size_t n = strlen(in), pad = 0;
	char *out;
	int r;

	if (n == 0 || n % 4 != 0 || n > 2 * PRES_DOC_MAX)
		return NULL;
	if ((out = malloc(n / 4 * 3 + 1)) == NULL)
		return NULL;
	r = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
	if (r < 0) {
		free(out);
		return NULL;
	}
	if (in[n - 1] == '=')
		pad++;
	if (in[n - 2] == '=')
		pad++;
	*len = (size_t)r - pad;
	out[*len] = '\0';
	return out;
}

static int
well_formed(const char *xml, size_t len)
{
	xmlDocPtr d = xmlReadMemory(xml, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

	if (d == NULL)
		return 0;
	xmlFreeDoc(d);
	return 1;
}

int
psip_filter_from_request(const sip_t *sip, char **xml_out, struct pres_filter **out)
{
	const char *body;
	size_t len;
	char err[160];

	*xml_out = NULL;
	*out = NULL;
	if (sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
		return 0;
	if (sip->sip_content_type == NULL || sip->sip_content_type->c_type == NULL ||
	    strcasecmp(sip->sip_content_type->c_type, PRES_MIME_FILTER) != 0)
		return 415;
	body = sip->sip_payload->pl_data;
	len = sip->sip_payload->pl_len;
	if (len > PRES_DOC_MAX)
		return 488;
	if (pres_filter_parse(body, len, out, err, sizeof(err)) != PRES_OK) {
		*out = NULL;
		if (!well_formed(body, len)) {
			log_info("sip: filter not well-formed");
			return 400;
		}
		log_info("sip: filter refused: %s", err);
		return 488;
	}
	if ((*xml_out = malloc(len + 1)) == NULL) {
		pres_filter_free(*out);
		*out = NULL;
		return 500;
	}
	memcpy(*xml_out, body, len);
	(*xml_out)[len] = '\0';
	return 0;
}
