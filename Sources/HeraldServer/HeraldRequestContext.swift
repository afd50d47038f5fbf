import HeraldCore
import Hummingbird

/// The request context of every Herald route: who is calling, once the auth middleware ran.
public struct HeraldRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.principal = nil
    }

    /// The caller; routes behind the auth middleware always have one.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw ChannexError.unauthorized }
        return principal
    }
}
