import HTTPTypes
import HeraldCore
import Hummingbird

/// A JSON answer with a status.
public struct JSONResponse: ResponseGenerator, Sendable {
    public var status: HTTPResponse.Status
    public var body: JSONValue

    public init(status: HTTPResponse.Status = .ok, body: JSONValue) {
        self.status = status
        self.body = body
    }

    public func response() -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(data: body.encoded())))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }
}
