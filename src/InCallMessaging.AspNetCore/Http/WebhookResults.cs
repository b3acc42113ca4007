using System.Text;
using Microsoft.AspNetCore.Http;

namespace InCallMessaging.AspNetCore.Http;

/// <summary>The answers the webhook endpoints give.</summary>
internal static class WebhookResults
{
    /// <summary>Empty TwiML: acknowledged, no automatic reply.</summary>
    public const string EmptyTwiml = """<?xml version="1.0" encoding="UTF-8"?><Response/>""";

    /// <summary>200 with <see cref="EmptyTwiml"/> as <c>text/xml</c>.</summary>
    public static IResult Twiml() => Results.Text(EmptyTwiml, "text/xml", Encoding.UTF8);

    /// <summary>A plain-text answer (Twilio's debugger shows the body, so it names the problem).</summary>
    public static IResult Text(int statusCode, string message) =>
        Results.Text(message, "text/plain", Encoding.UTF8, statusCode);
}
