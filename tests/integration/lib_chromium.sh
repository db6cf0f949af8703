# chromium_trust_ca PEM DIR: a home directory DIR whose NSS database
# (DIR/.pki/nssdb, where Chromium on Linux keeps the user's trusted roots)
# trusts PEM as a CA for web sites, the way a user trusts snare's CA.  Run
# Chromium with HOME=DIR.  False when certutil (libnss3-tools) is missing or
# fails.  snare sends only the leaf with its own (root) CA, as mitmproxy
# does, so Chromium's --ignore-certificate-errors-spki-list, which matches
# the certificates a server sends, cannot name the CA.
chromium_trust_ca() {
	command -v certutil >/dev/null || return 1
	mkdir -p "$2/.pki/nssdb" &&
		certutil -d "sql:$2/.pki/nssdb" -N --empty-password &&
		certutil -d "sql:$2/.pki/nssdb" -A -t "C,," -n snare-test-ca -i "$1"
}
