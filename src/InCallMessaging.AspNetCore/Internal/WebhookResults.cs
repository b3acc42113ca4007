using System.Text;
using Microsoft.AspNetCore.Http;

namespace InCallMessaging.AspNetCore.Internal;

/// <summary>The answers the webhook endpoints give.</summary>
internal static class WebhookResults
{
    /// <summary>Empty TwiML: acknowledged, no automatic reply.</summary>
    public const string EmptyTwiml = """<?xml version="1.0" encoding="UTF-8"?><Response/>""";

    private static readonly IResult EmptyTwimlResult = new Utf8Content(Encoding.UTF8.GetBytes(EmptyTwiml), "text/xml; charset=utf-8");

    /// <summary>200 with <see cref="EmptyTwiml"/> as <c>text/xml</c> (one cached, pre-encoded result: it is the answer to every webhook).</summary>
    public static IResult Twiml() => EmptyTwimlResult;

    /// <summary>A plain-text answer (Twilio's debugger shows the body, so it names the problem).</summary>
    public static IResult Text(int statusCode, string message) =>
        Results.Text(message, "text/plain", Encoding.UTF8, statusCode);

    /// <summary>A fixed, pre-encoded 200 answer.</summary>
    private sealed class Utf8Content(byte[] body, string contentType) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = contentType;
            response.ContentLength = body.Length;
            return response.Body.WriteAsync(body, 0, body.Length);
        }
    }
}
