import HeraldCore
import Testing

/// Callback URLs are stored in the one form every parser reads alike.
@Suite struct CallbackURLTests {
    @Test(arguments: [
        ("http://1.2.3.4./hook", "names an address in a non-canonical form; write it as 1.2.3.4"),
        ("http://+1.2.3.4/hook", "names an address in a non-canonical form; write it as 1.2.3.4"),
        ("http://134744072/hook", "names an address in a non-canonical form; write it as 8.8.8.8"),
        ("http://0x08.0x08.0x08.0x08/", "names an address in a non-canonical form; write it as 8.8.8.8"),
        ("http://008.8.8.8/", "must name a valid IPv4 address"),
        ("http://[fe80::1%25eth0]/", "must not name an IPv6 zone"),
        ("http://[2001:db8::zz]/", "must name a valid IPv6 address"),
    ])
    func addressesOnlyInCanonicalForm(url: String, problem: String) {
        #expect(CallbackURL.problem(with: url) == problem)
    }

    @Test(arguments: [
        "https://8.8.8.8/hook", "https://[2001:4860:4860::8888]/hook", "https://1password.example/x",
        "https://api.example.com./x", "https://bücher.example/x", "http://1password-bridge:8080/", "http://3scale/x",
        "https://[2001:DB8:0:0:0:0:0:1]/",
    ])
    func canonicalAddressesAndNamesAreAccepted(url: String) {
        #expect(CallbackURL.problem(with: url) == nil)
    }

    @Test func anInternationalisedNameIsCheckedInItsASCIIForm() throws {
        for url in ["https://bücher.example/", "https://xn--bcher-kva.example/"] {
            #expect(try TargetPolicy().checkLiteral(url: url).host == "xn--bcher-kva.example")
        }
    }

    @Test func anInternationalisedNameIsStoredInItsASCIIForm() {
        #expect(
            CallbackURL.normalized("https://pms:pw@bücher.example:8443/hook?a=1")
                == "https://pms:pw@xn--bcher-kva.example:8443/hook?a=1")
        #expect(CallbackURL.normalized("https://hooks.example.com/x?a=b") == "https://hooks.example.com/x?a=b")
    }
}
