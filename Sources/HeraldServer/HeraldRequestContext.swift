import HeraldCore
import Hummingbird

/// The request context of every Herald route: who is calling, once the auth middleware ran.
public struct HeraldRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// The peer's IP address (the connection's, not a header a client could forge).
    public let clientAddress: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The caller; routes behind the auth middleware always have one.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw ChannexError.unauthorized }
        return principal
    }
}
