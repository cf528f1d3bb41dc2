"""[dkim]: every message `send` hands over carries a DKIM signature that
python3-dkim's own `dkimverify` accepts, the public key served by a real
DNS server on 127.0.0.1 (dkimverify's resolver pointed at it), for RSA
keys (rsa-sha256) in both PEM forms. A message changed on the way fails.
A key others can read is refused, and so is an Ed25519 key while
libopendkim leaks memory on every Ed25519 signature (2.11.0, Debian 12)."""
import base64
import socket
import subprocess
import threading

import dns.flags
import dns.message
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from harness import NkTestCase, SAMPLE_JSONFEED

SUBS = "email,name,tier\nreader@example.net,Reader One,free\npro@example.net,,pro\n"

# dkimverify exactly as installed, with its resolver sent to our server.
VERIFY = """
import sys, runpy
import dns.resolver
r = dns.resolver.Resolver(configure=False)
r.nameservers = ["127.0.0.1"]
r.port = int(sys.argv[1])
dns.resolver.default_resolver = r
sys.argv = ["dkimverify"]
runpy.run_path("/usr/bin/dkimverify", run_name="__main__")
"""


class TxtServer:
    """A DNS server on a free UDP port answering TXT queries from a dict."""

    def __init__(self, records):
        self.records = records
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.asked = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            q = dns.message.from_wire(data)
            resp = dns.message.make_response(q)
            name = q.question[0].name.to_text().rstrip(".")
            self.asked.append(name)
            txt = self.records.get(name)
            if txt and q.question[0].rdtype == dns.rdatatype.TXT:
                # TXT strings hold at most 255 bytes: split, as DNS
                # operators do for RSA keys.
                parts = " ".join(f'"{txt[i:i + 200]}"' for i in range(0, len(txt), 200))
                rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, parts)
                resp.answer.append(dns.rrset.from_rdata(q.question[0].name, 60, rd))
            else:
                resp.set_rcode(3)   # NXDOMAIN
            resp.flags |= dns.flags.AA
            self.sock.sendto(resp.to_wire(), peer)

    def stop(self):
        self.sock.close()


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], check=True, capture_output=True,
                          input=stdin).stdout


class DkimSigning(NkTestCase):
    def setUp(self):
        super().setUp()
        self.smtp = self.smtp_server()
        http = self.feed_server()
        self.url = http.serve("/feed.json", SAMPLE_JSONFEED.read_bytes())

    def make_key(self, kind):
        key = self.dir / f"dkim-{kind}.key"
        if kind.startswith("rsa"):
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(key))
            if kind == "rsa-traditional":   # "BEGIN RSA PRIVATE KEY"
                pem = openssl("pkey", "-in", str(key), "-traditional")
                self.assertIn(b"BEGIN RSA PRIVATE KEY", pem)
                key.write_bytes(pem)
            pub = openssl("pkey", "-in", str(key), "-pubout", "-outform", "DER")
            record = "v=DKIM1; k=rsa; p=" + base64.b64encode(pub).decode()
        else:
            openssl("genpkey", "-algorithm", "ED25519", "-out", str(key))
            pub = openssl("pkey", "-in", str(key), "-pubout", "-outform", "DER")
            # RFC 8463: the bare 32-byte key, not its DER wrapping.
            record = "v=DKIM1; k=ed25519; p=" + base64.b64encode(pub[-32:]).decode()
        key.chmod(0o600)
        return key, record

    def send_signed(self, kind, selector="nk2024"):
        key, record = self.make_key(kind)
        dns_server = TxtServer({f"{selector}._domainkey.example.org": record})
        self._servers.append(dns_server)
        conf = self.config(self.url, smtp=self.smtp.url(), subscribers=SUBS)
        with open(conf, "a") as f:
            f.write(f"\n[dkim]\nselector = {selector}\nkey_file = {key.name}\n")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(self.smtp.received), 2)
        return dns_server

    def dkimverify(self, dns_server, data):
        return subprocess.run(["/usr/bin/python3", "-c", VERIFY, str(dns_server.port)],
                              input=data, capture_output=True, timeout=60)

    def check_signed(self, kind, alg):
        server = self.send_signed(kind)
        for r in self.smtp.received:
            sig = r.msg["DKIM-Signature"]
            self.assertIn(f"a={alg};", sig.replace(" ", ""))
            self.assertIn("c=relaxed/relaxed", sig.replace(" ", ""))
            self.assertIn("d=example.org", sig.replace(" ", ""))
            # The signature is the first header, folded like the others.
            self.assertTrue(r.data.startswith(b"DKIM-Signature: v=1;"))
            head = r.data.split(b"\r\n\r\n", 1)[0]
            sig_lines = head.split(b"\r\nDate:")[0].split(b"\r\n")
            self.assertTrue(all(len(line) <= 78 for line in sig_lines), sig_lines)
            # List-Unsubscribe is signed: nobody may add or change it.
            tags = dict(t.split("=", 1) for t in
                        sig.replace(" ", "").replace("\t", "").split(";") if "=" in t)
            self.assertIn("List-Unsubscribe", tags["h"].split(":"))
            self.assertIn("List-Unsubscribe-Post", tags["h"].split(":"))
            v = self.dkimverify(server, r.data)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
            self.assertEqual(v.stdout.strip(), b"signature ok")
            # Changed on the way: refused.
            bad = r.data.replace(b"Subject: ", b"Subject: Re: ", 1)
            v = self.dkimverify(server, bad)
            self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
            self.assertIn(b"signature verification failed", v.stdout)
        self.assertIn("nk2024._domainkey.example.org", server.asked)

    def test_rsa_sha256_signature_verifies(self):
        self.check_signed("rsa", "rsa-sha256")

    def test_rsa_traditional_pem_verifies(self):
        self.check_signed("rsa-traditional", "rsa-sha256")

    def test_ed25519_is_refused_while_the_library_leaks(self):
        key, _ = self.make_key("ed25519")
        conf = self.config(self.url, smtp=self.smtp.url(), subscribers=SUBS)
        with open(conf, "a") as f:
            f.write(f"\n[dkim]\nselector = s1\nkey_file = {key.name}\n")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 78, p.err)
        self.assertIn("dkim-ed25519.key: this libopendkim (2.11.0) leaks memory on every "
                      "Ed25519 signature; use an RSA key", p.err)
        self.assertEqual(self.smtp.received, [])

    def test_a_key_others_can_read_is_refused_before_anything_is_sent(self):
        key, _ = self.make_key("rsa")
        key.chmod(0o644)
        conf = self.config(self.url, smtp=self.smtp.url(), subscribers=SUBS)
        with open(conf, "a") as f:
            f.write(f"\n[dkim]\nselector = s1\nkey_file = {key.name}\n")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 78, p.err)
        self.assertIn("dkim-rsa.key", p.err)
        self.assertIn("chmod 600", p.err)
        self.assertEqual(self.smtp.received, [])

    def test_a_file_that_is_no_key_is_refused(self):
        key = self.write("dkim.key", "not a key at all\n", mode=0o600)
        conf = self.config(self.url, smtp=self.smtp.url(), subscribers=SUBS)
        with open(conf, "a") as f:
            f.write(f"\n[dkim]\nselector = s1\nkey_file = {key.name}\n")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 78, p.err)
        self.assertIn("dkim.key: the DKIM key is not a PEM private key", p.err)
        self.assertEqual(self.smtp.received, [])

    def test_dkim_needs_a_selector(self):
        conf = self.config(self.url, smtp=self.smtp.url(), subscribers=SUBS)
        with open(conf, "a") as f:
            f.write("\n[dkim]\nkey_file = x.key\n")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 78, p.err)
        self.assertIn("[dkim] needs both selector and key_file", p.err)
