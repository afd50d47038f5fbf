import Foundation
import HeraldCore
import Hummingbird
import HummingbirdAuth

/// The request context of the portal's pages: Herald's, with the session hummingbird-auth keeps.
struct PortalRequestContext: ChildRequestContext, SessionRequestContext {
    var coreContext: CoreRequestContextStorage
    let sessions: SessionContext<PortalSession>
    /// Whom the session acts as, once ``PortalAuthMiddleware`` checked its link or key.
    var principal: Principal?
    /// The peer's IP address.
    let clientAddress: String?

    init(context: HeraldRequestContext) {
        self.coreContext = context.coreContext
        self.sessions = SessionContext()
        self.principal = nil
        self.clientAddress = context.clientAddress
    }

    /// The signed-in caller; pages behind ``PortalAuthMiddleware`` always have one.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw ChannexError.unauthorized }
        return principal
    }
}
