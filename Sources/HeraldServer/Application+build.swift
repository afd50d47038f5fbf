import Foundation
import HeraldCore
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the Herald application: every route, middleware and service decided in one place.
public func buildApplication<Store: HeraldStore>(
    store: Store,
    configuration: HeraldConfiguration,
    services: [any Service] = [],
    logger: Logger
) -> some ApplicationProtocol {
    let router = buildRouter(store: store, configuration: configuration)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Herald"),
        services: services,
        logger: logger
    )
}

/// The router alone (tests drive it without a socket).
public func buildRouter<Store: HeraldStore>(store: Store, configuration: HeraldConfiguration) -> Router<
    HeraldRequestContext
> {
    let router = Router(context: HeraldRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: ErrorMiddleware())

    router.get("health") { _, _ in JSONResponse(body: ["status": "ok"]) }
    router.get("ready") { _, _ in
        try await store.ping()
        return JSONResponse(body: ["status": "ready"])
    }
    if let spec = configuration.openAPISpec {
        router.get("openapi.yaml") { _, _ in
            guard let data = FileManager.default.contents(atPath: spec.path) else { throw ChannexError.notFound }
            return Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
        }
    }

    let limits = configuration.limits
    let api = router.group("api/v1").add(middleware: AuthMiddleware(store: store))
    api.addRoutes(TenantController(store: store, limits: limits).endpoints, atPath: "tenants")
    api.addRoutes(APIKeyController(store: store, limits: limits).endpoints, atPath: "api_keys")
    api.addRoutes(PropertyController(store: store, limits: limits).endpoints, atPath: "properties")
    api.addRoutes(WebhookController(store: store, limits: limits).endpoints, atPath: "webhooks")
    return router
}
