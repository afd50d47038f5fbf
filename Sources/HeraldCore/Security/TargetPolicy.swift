import Foundation

/// Which addresses Herald may send requests to. Webhook URLs are chosen by strangers, so by default
/// nothing internal is reachable: loopback, private, link-local (cloud metadata), CGNAT, multicast,
/// unspecified, reserved and documentation ranges, in IPv4, IPv6 and the IPv6 forms that carry an
/// IPv4 address. `allowed` ranges open holes for development and tests.
public struct TargetPolicy: Sendable, Hashable {
    public var allowed: [CIDR]

    public init(allowed: [CIDR] = []) {
        self.allowed = allowed
    }

    /// Parses `--allow-targets` (`CIDR,CIDR,...`); nil names the first bad entry.
    public static func allowing(_ list: String) -> Result<TargetPolicy, TargetPolicyError> {
        CIDR.list(list).map { TargetPolicy(allowed: $0) }.mapError { .badAllowance($0.item) }
    }

    /// The refused ranges and why.
    static let refused: [(CIDR, String)] = [
        ("0.0.0.0/8", "an unspecified address"), ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a carrier-grade NAT address"), ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address (cloud metadata lives here)"),
        ("172.16.0.0/12", "a private address"), ("192.0.0.0/24", "a reserved address"),
        ("192.0.2.0/24", "a documentation address"), ("192.88.99.0/24", "a reserved relay address"),
        ("192.168.0.0/16", "a private address"), ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"), ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"), ("240.0.0.0/4", "a reserved address"),
        ("::/128", "an unspecified address"), ("::1/128", "a loopback address"),
        ("64:ff9b:1::/48", "a local NAT64 address"), ("100::/64", "a discard address"),
        ("2001::/23", "a reserved protocol address"), ("2001:db8::/32", "a documentation address"),
        ("3fff::/20", "a documentation address"), ("fc00::/7", "a unique-local address"),
        ("fe80::/10", "a link-local address"), ("fec0::/10", "a site-local address"),
        ("ff00::/8", "a multicast address"),
    ].map { (CIDR($0.0)!, $0.1) }

    /// Why `address` may not be called, or nil when it may.
    public func refusal(of address: IPAddress) -> TargetRefusal? {
        if isAllowed(address) { return nil }
        // The address's own range first: `::1` is IPv6 loopback, not the IPv4-compatible form of
        // 0.0.0.1 (which read as "unspecified").
        if let reason = Self.reason(address) { return TargetRefusal(address: address, reason: reason) }
        if let inner = address.embeddedIPv4 {
            if isAllowed(inner) { return nil }
            if let reason = Self.reason(inner) {
                return TargetRefusal(address: address, reason: reason, embedded: inner)
            }
        }
        return nil
    }

    /// Checks a URL's scheme and, when its host is an address, the address.
    /// Returns the literal address, if the host is one.
    public func checkLiteral(url: String) throws(TargetRefusalError) -> (host: String, address: IPAddress?) {
        // The host as DNS and the HTTP client know it: an internationalised name in ASCII.
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.encodedHost ?? components.host, !host.isEmpty
        else { throw .scheme }
        guard let address = IPAddress(host: host) else { return (host, nil) }
        if var refusal = refusal(of: address) {
            refusal.spelledOut = true
            throw .refused(refusal)
        }
        return (host, address)
    }

    /// Checks every address a name resolved to; all must be allowed.
    public func check(resolved addresses: [IPAddress], of host: String) throws(TargetRefusalError) -> IPAddress {
        guard let first = addresses.first else { throw .unresolvable(host) }
        for address in addresses {
            if let refusal = refusal(of: address) { throw .refused(refusal) }
        }
        return first
    }

    func isAllowed(_ address: IPAddress) -> Bool { allowed.contains { $0.contains(address) } }

    static func reason(_ address: IPAddress) -> String? {
        refused.first { $0.0.contains(address) }?.1
    }
}

/// One refused address and why.
public struct TargetRefusal: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    /// The kind of range, e.g. "a loopback address".
    public var reason: String
    /// The IPv4 address inside an IPv6 form that was judged in its place.
    public var embedded: IPAddress?
    /// The URL itself spells the address out (else it came from resolving a name, and stays
    /// unsaid: hidden unless known to be the sender's own words).
    public var spelledOut = false

    public init(address: IPAddress, reason: String, embedded: IPAddress? = nil) {
        self.address = address
        self.reason = reason
        self.embedded = embedded
    }

    /// What the tenant is told. An address the URL spelt out is named; one a name resolved to
    /// is not: it would map the internal network to whoever registers names that point into it.
    public var description: String {
        let range: String
        if spelledOut {
            range = "\(address), \(reason)" + (embedded.map { " (as \($0) inside an IPv6 address)" } ?? "")
        } else {
            range = reason + (embedded == nil ? "" : " (inside an IPv6 address)")
        }
        return "resolves to \(range); allow it with --allow-targets (HERALD_ALLOW_TARGETS)"
    }
}

public enum TargetRefusalError: Error, Sendable, Hashable, CustomStringConvertible {
    case scheme
    case refused(TargetRefusal)
    case unresolvable(String)

    public var description: String {
        switch self {
        case .scheme: "must be an absolute http or https URL"
        case .refused(let refusal): refusal.description
        case .unresolvable(let host): "host \(host) does not resolve"
        }
    }
}

public enum TargetPolicyError: Error, Sendable, CustomStringConvertible {
    case badAllowance(String)

    public var description: String {
        switch self {
        case .badAllowance(let item): "--allow-targets: '\(item)' is not an address or CIDR range"
        }
    }
}

/// Turns host names into addresses (the live one asks the system resolver; tests stub it).
public protocol HostResolver: Sendable {
    func resolve(host: String) async throws -> [IPAddress]
}

/// A checked destination: connect to `address` only, whatever the name resolves to later.
public struct CheckedTarget: Sendable, Hashable {
    public var host: String
    public var address: IPAddress
    /// Whether the URL named the address itself (no pinning needed).
    public var isLiteral: Bool

    public init(host: String, address: IPAddress, isLiteral: Bool) {
        self.host = host
        self.address = address
        self.isLiteral = isLiteral
    }
}

extension TargetPolicy {
    /// Resolves (unless the host is an address) and checks a callback URL.
    public func check(url: String, resolver: some HostResolver) async throws(TargetRefusalError) -> CheckedTarget {
        let (host, literal) = try checkLiteral(url: url)
        if let literal { return CheckedTarget(host: host, address: literal, isLiteral: true) }
        let addresses: [IPAddress]
        do {
            addresses = try await resolver.resolve(host: host)
        } catch {
            throw .unresolvable(host)
        }
        return CheckedTarget(host: host, address: try check(resolved: addresses, of: host), isLiteral: false)
    }
}
