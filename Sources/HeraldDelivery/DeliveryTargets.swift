import HeraldCore

/// The target policy and the resolver it checks names with, used at registration, at test time
/// and before every delivery.
public struct DeliveryTargets: Sendable {
    public var policy: TargetPolicy
    public var resolver: any HostResolver

    public init(policy: TargetPolicy, resolver: any HostResolver = SystemResolver()) {
        self.policy = policy
        self.resolver = resolver
    }

    /// The address to connect to for `url`, or why not.
    public func check(_ url: String) async throws(TargetRefusalError) -> CheckedTarget {
        try await policy.check(url: url, resolver: AnyResolver(base: resolver))
    }
}

/// Lets the existential resolver satisfy the generic check.
private struct AnyResolver: HostResolver {
    let base: any HostResolver
    func resolve(host: String) async throws -> [IPAddress] { try await base.resolve(host: host) }
}
