import ArgumentParser
import Foundation
import HTTPTypes
import HeraldCore
import Hummingbird
import Logging
import Synchronization

/// A webhook receiver for partners and tests: verifies Standard Webhooks signatures, prints each
/// delivery and answers the status codes it is told to.
struct Sink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Receive webhooks: verify signatures, print each delivery, answer chosen status codes.")

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on.")
    var port = 9000

    @Option(name: .long, help: "Signing secret (whsec_...) to verify with (env HERALD_SINK_SECRET).")
    var secret: String?

    @Option(
        name: .long,
        help: "Status codes to answer, in turn, e.g. 500,500,200; the last one repeats (default 200).")
    var status = "200"

    @Option(name: .long, help: "Seconds of timestamp skew to accept.")
    var tolerance = 300

    func run() async throws {
        let codes = status.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !codes.isEmpty, codes.allSatisfy({ (100...599).contains($0) }) else {
            throw ValidationError("--status takes HTTP status codes, e.g. 500,200")
        }
        let secret = self.secret ?? Environment.value("HERALD_SINK_SECRET")
        if let secret, !secret.hasPrefix("whsec_") || Data(base64Encoded: String(secret.dropFirst(6))) == nil {
            throw ValidationError(
                "--secret takes a whsec_ secret (the webhook's signing_secret, e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw)"
            )
        }
        try await StartUp.ensureListenable(host: host, port: port)
        let tolerance = TimeInterval(self.tolerance)
        let counter = Mutex(0)
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var request = request
            let body = Data(try await request.collectBody(upTo: 16 * 1024 * 1024).readableBytesView)
            let number = counter.withLock { count -> Int in
                count += 1
                return count
            }
            let verdict = Self.verify(request.headers, body: body, secret: secret, tolerance: tolerance)
            let code = verdict == "invalid" ? 401 : codes[min(number, codes.count) - 1]
            Self.print(number: number, request: request, body: body, verdict: verdict, answer: code)
            return Response(status: .init(code: code))
        }
        let router = Router()
        router.on("/", method: .post, use: handler)
        router.on("**", method: .post, use: handler)
        var logger = Logger(label: "herald-sink")
        logger.logLevel = .notice
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "herald-sink"),
            logger: logger)
        Self.write("herald sink listening on http://\(host):\(port)\(secret == nil ? " (not verifying)" : "")\n")
        try await app.runService()
    }

    /// "valid", "invalid" or "unchecked".
    static func verify(_ headers: HTTPFields, body: Data, secret: String?, tolerance: TimeInterval) -> String {
        guard let secret else { return "unchecked" }
        guard let id = headers[HTTPField.Name("webhook-id")!],
            let stamp = headers[HTTPField.Name("webhook-timestamp")!].flatMap({ Int64($0) }),
            let signature = headers[HTTPField.Name("webhook-signature")!],
            abs(Date().timeIntervalSince1970 - TimeInterval(stamp)) <= tolerance
        else { return "invalid" }
        return Signer.verify(header: signature, id: id, timestamp: stamp, body: body, secret: secret)
            ? "valid" : "invalid"
    }

    static func print(number: Int, request: Request, body: Data, verdict: String, answer: Int) {
        let id = request.headers[HTTPField.Name("webhook-id")!] ?? "-"
        var text =
            "#\(number) \(Timestamp.iso(Date())) POST \(request.uri) id=\(id) signature=\(verdict) -> \(answer)\n"
        if let json = try? JSONSerialization.jsonObject(with: body),
            let pretty = try? JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        {
            text += String(decoding: pretty, as: UTF8.self) + "\n"
        } else {
            text += String(decoding: body, as: UTF8.self) + "\n"
        }
        write(text)
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
