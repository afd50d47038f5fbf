import Foundation
import Logging

/// What `buildApplication` needs to know; `herald serve` fills it from flags and `HERALD_*`.
public struct HeraldConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var limits: BodyLimits
    /// Where `GET /openapi.yaml` reads the spec from (nil: the route answers 404).
    public var openAPISpec: URL?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, limits: BodyLimits = BodyLimits(), openAPISpec: URL? = nil
    ) {
        self.host = host
        self.port = port
        self.limits = limits
        self.openAPISpec = openAPISpec
    }
}
