/*
 * cert.h: certificate facts and verdicts for a TLS probe.  Internal.
 *
 * The handshake always completes (the verify callback records every
 * verification error and returns 1), so the facts of the server's
 * certificate are known even when it is bad; the verdict is applied after,
 * with the precedence of PRODUCT.md: expired, not yet valid, untrusted,
 * name mismatch.
 */
#ifndef LIB_CERT_H
#define LIB_CERT_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "smtpprobe.h"

/* Record one X509_V_ERR_* code (deduplicated; at most
 * SMTPPROBE_MAX_VERIFY_ERRORS kept, flags always updated). */
void		 cert_add_error(struct smtpprobe_cert *, int x509_err);

/* Subject, issuer, CN, SANs, serial, SHA-256 fingerprint and validity of
 * leaf into cert (strings sanitised); sets present. */
void		 cert_extract_leaf(struct smtpprobe_cert *, X509 *leaf);

/* Earliest notAfter and length of the chain the server presented. */
void		 cert_extract_chain(struct smtpprobe_cert *, STACK_OF(X509) *);

/*
 * Check name against the leaf: an IP literal matches IP SANs
 * (X509_check_ip_asc), anything else DNS names (X509_check_host).
 * Records X509_V_ERR_HOSTNAME_MISMATCH / _IP_ADDRESS_MISMATCH on failure.
 */
void		 cert_check_name(struct smtpprobe_cert *, X509 *leaf,
		    const char *name);

/*
 * After the errors are in: set verified, verify_checked (checked is 0 with
 * SMTPPROBE_F_INSECURE_NO_VERIFY) and verify_text.  Returns the outcome
 * the certificate means: OK, or CERT_* by precedence (always OK when not
 * checked).
 */
enum smtpprobe_outcome cert_judge(struct smtpprobe_cert *, int checked);

/* Unix seconds of an ASN1_TIME, or 0 if it cannot be read. */
int64_t		 cert_asn1_time(const ASN1_TIME *);

#endif
