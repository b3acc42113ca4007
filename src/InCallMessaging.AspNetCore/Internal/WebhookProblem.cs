namespace InCallMessaging.AspNetCore.Internal;

/// <summary>Why a webhook request is refused: the status code and a message naming the problem (no personal data).</summary>
internal readonly record struct WebhookProblem(int StatusCode, string Message);
