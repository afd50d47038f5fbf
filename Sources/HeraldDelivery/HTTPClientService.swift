import ServiceLifecycle

/// Keeps the delivery HTTP clients for the life of the application and shuts them down last.
public struct HTTPClientService: Service {
    public let sender: HTTPSender

    public init(sender: HTTPSender) {
        self.sender = sender
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await sender.shutdown()
    }
}
