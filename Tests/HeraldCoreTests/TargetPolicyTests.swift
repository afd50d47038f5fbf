import HeraldCore
import Testing

@Suite struct TargetPolicyTests {
    let policy = TargetPolicy()

    @Test(arguments: [
        "127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "100.127.255.254", "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
        "192.0.2.10", "198.51.100.7", "203.0.113.9", "198.18.0.1", "192.0.0.8",
        // The inet_aton spellings of loopback and metadata.
        "2130706433", "0x7f.1", "0x7f000001", "0177.0.0.1", "127.1", "0251.0376.0251.0376", "017700000001",
        // IPv6 and the IPv6 forms that carry an IPv4 address.
        "::1", "[::1]", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
        "::ffff:127.0.0.1", "::ffff:7f00:1", "[::ffff:169.254.169.254]", "::127.0.0.1", "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe", "64:ff9b::10.1.2.3", "2002:7f00:1::", "2002:c0a8:101::1", "fec0::1",
    ])
    func internalAddressesAreRefused(host: String) throws {
        let address = try #require(IPAddress(host: host), "\(host) should parse as an address")
        #expect(policy.refusal(of: address) != nil, "\(host) should be refused")
    }

    @Test(arguments: [
        "93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1",
        "172.32.0.1", "100.128.0.1",
    ])
    func publicAddressesAreAllowed(host: String) throws {
        let address = try #require(IPAddress(host: host))
        #expect(policy.refusal(of: address) == nil, "\(host) should be allowed")
    }

    @Test func namesAreNotAddresses() {
        for host in ["example.com", "hooks.example.com", "1e100.net", "localhost", "0x7g.1", "256.1.1.1.1"] {
            #expect(IPAddress(host: host) == nil, "\(host)")
        }
    }

    @Test func aloneNumbersFollowInetAton() {
        #expect(IPAddress(host: "2130706433")?.description == "127.0.0.1")
        #expect(IPAddress(host: "0x7f.1")?.description == "127.0.0.1")
        #expect(IPAddress(host: "10.1")?.description == "10.0.0.1")
        #expect(IPAddress(host: "4294967296") == nil)
        #expect(IPAddress(host: "::ffff:127.0.0.1")?.description == "::ffff:7f00:1")
    }

    @Test func allowancesOpenRangesIncludingTheirMappedForms() throws {
        let open = try TargetPolicy.allowing("127.0.0.0/8, ::1").get()
        #expect(open.refusal(of: IPAddress(host: "127.0.0.1")!) == nil)
        #expect(open.refusal(of: IPAddress(host: "::ffff:127.0.0.1")!) == nil)
        #expect(open.refusal(of: IPAddress(host: "::1")!) == nil)
        #expect(open.refusal(of: IPAddress(host: "10.0.0.1")!) != nil)
        #expect((try? TargetPolicy.allowing("10.0.0.0/33").get()) == nil)
        #expect((try? TargetPolicy.allowing("nonsense").get()) == nil)
    }

    /// `::1` is IPv6 loopback; read as the IPv4-compatible form of 0.0.0.1 it said "unspecified".
    @Test func ipv6LoopbackIsCalledLoopback() {
        #expect(policy.refusal(of: IPAddress(host: "::1")!)?.reason == "a loopback address")
        #expect(policy.refusal(of: IPAddress(host: "::")!)?.reason == "an unspecified address")
        #expect(throws: TargetRefusalError.self) { try policy.checkLiteral(url: "http://[::ffff:127.0.0.1]/") }
        do {
            _ = try policy.checkLiteral(url: "http://[::ffff:127.0.0.1]/")
        } catch {
            #expect(error.description.contains("a loopback address (as 127.0.0.1 inside an IPv6 address)"))
        }
    }

    @Test func aRefusalOfAResolvedNameKeepsTheInternalAddressToItself() throws {
        for (address, kind) in [("10.1.2.3", "a private address"), ("::ffff:10.1.2.3", "a private address (inside")] {
            #expect(throws: TargetRefusalError.self) {
                try policy.check(resolved: [IPAddress(host: address)!], of: "internal.example")
            }
            do {
                _ = try policy.check(resolved: [IPAddress(host: address)!], of: "internal.example")
            } catch {
                #expect(!error.description.contains("10.1.2.3"), "\(error)")
                #expect(!error.description.contains("a01:203"), "\(error)")
                #expect(error.description.hasPrefix("resolves to \(kind)"), "\(error)")
            }
        }
    }

    /// An address the URL spells out is the sender's own words: the refusal names it.
    @Test func refusalNamesASpelledOutAddressAndTheSetting() throws {
        var refusal = try #require(policy.refusal(of: IPAddress(host: "169.254.169.254")!))
        #expect(refusal.description.contains("169.254.169.254") == false, "hidden unless spelled out")
        refusal.spelledOut = true
        #expect(refusal.description.contains("169.254.169.254") == true)
        #expect(refusal.description.contains("--allow-targets") == true)
        #expect(refusal.description.contains("HERALD_ALLOW_TARGETS") == true)
    }

    @Test func onlyHTTPAndHTTPSAreCallable() {
        #expect(throws: TargetRefusalError.scheme) { try policy.checkLiteral(url: "ftp://8.8.8.8/") }
        #expect(throws: TargetRefusalError.scheme) { try policy.checkLiteral(url: "file:///etc/passwd") }
    }

    @Test func everyResolvedAddressMustBeAllowed() throws {
        let addresses = [IPAddress(host: "93.184.215.14")!, IPAddress(host: "10.0.0.1")!]
        #expect(throws: TargetRefusalError.self) { try policy.check(resolved: addresses, of: "mixed.example") }
        #expect(throws: TargetRefusalError.unresolvable("none.example")) {
            try policy.check(resolved: [], of: "none.example")
        }
    }

    @Test func cidrContainment() throws {
        let range = try #require(CIDR("fc00::/7"))
        #expect(range.contains(IPAddress(host: "fdff::1")!))
        #expect(!range.contains(IPAddress(host: "fe00::1")!))
        #expect(!range.contains(IPAddress(host: "10.0.0.1")!))
    }
}
