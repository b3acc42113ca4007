using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.Meta.Tests.TestSupport;

/// <summary>One request the stand-in received; <paramref name="Port"/> tells its two listeners apart.</summary>
internal sealed record GraphRequest(string Path, string? Authorization, string? ContentType, JsonObject Body, int Port = 0);

/// <summary>
/// A media object the stand-in serves: <c>GET /{version}/{media-id}</c> answers its metadata as Meta does, and its
/// download URL answers the bytes. <see cref="FileSize"/>, <see cref="MimeType"/> and <see cref="Sha256"/> default to
/// the truth; set them to make the metadata lie. <see cref="OnForeignHost"/> puts the download URL on the stand-in's
/// second listener (another port: another host as far as credentials go). <see cref="Error"/> refuses the metadata
/// request with Meta's error object (HTTP status, error code).
/// </summary>
internal sealed record StandInMedia(byte[] Bytes, string ContentType)
{
    public long? FileSize { get; init; }

    public string? MimeType { get; init; }

    public string? Sha256 { get; init; }

    public bool OnForeignHost { get; init; }

    /// <summary>The metadata request is never answered (until the client gives up).</summary>
    public bool Hangs { get; init; }

    /// <summary>The download URL answers 302 to the same file on the foreign listener.</summary>
    public bool RedirectsToForeignHost { get; init; }

    public (int Status, int Code)? Error { get; init; }
}

/// <summary>
/// A local stand-in for the Graph API's <c>POST /{version}/{phone-number-id}/messages</c> on Kestrel (127.0.0.1, a free
/// port), speaking Meta's documented JSON: an accepted message is <c>{"messaging_product","contacts":[{"input","wa_id"}],
/// "messages":[{"id":"wamid..."}]}</c>, a refused one <c>{"error":{"message","type","code","error_data":{"details"},"fbtrace_id"}}</c>.
/// Answers are scripted in order; with none left, every send is accepted. It also serves inbound media as Meta does
/// (<see cref="WithMedia"/>), on two listeners: <see cref="BaseUrl"/> and a "foreign" <see cref="ForeignBaseUrl"/>.
/// </summary>
internal sealed class MetaGraphStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _answers = new();
    private readonly List<GraphRequest> _requests = [];
    private readonly SemaphoreSlim _received = new(0);
    private readonly ConcurrentDictionary<string, StandInMedia> _media = new();
    private int _sequence;

    private MetaGraphStandIn(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The second listener: the same stand-in on another port, which the access token must never reach.</summary>
    public Uri ForeignBaseUrl { get; private set; } = null!;

    public IReadOnlyList<GraphRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<MetaGraphStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0", "http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new MetaGraphStandIn(app);
        app.MapPost("/{version}/{phoneNumberId}/messages", standIn.HandleAsync);
        app.MapGet("/{version}/{mediaId}", standIn.MediaObjectAsync);
        app.MapGet("/whatsapp_business/attachments/{mediaId}", standIn.DownloadAsync);
        await app.StartAsync();
        var urls = app.Urls.Select(u => new Uri(u)).OrderBy(u => u.Port).ToList();
        standIn.BaseUrl = urls[0];
        standIn.ForeignBaseUrl = urls[1];
        return standIn;
    }

    /// <summary>Serves <paramref name="media"/> as the media object <paramref name="mediaId"/>.</summary>
    public MetaGraphStandIn WithMedia(string mediaId, StandInMedia media)
    {
        _media[mediaId] = media;
        return this;
    }

    /// <summary>The requests for media object metadata (<c>GET /{version}/{media-id}</c>).</summary>
    public IReadOnlyList<GraphRequest> MediaObjectRequests => Requests.Where(r => r.Path.Count(c => c == '/') == 2 && !r.Path.EndsWith("/messages", StringComparison.Ordinal)).ToList();

    /// <summary>The requests for media bytes, on either listener.</summary>
    public IReadOnlyList<GraphRequest> DownloadRequests => Requests.Where(r => r.Path.StartsWith("/whatsapp_business/attachments/", StringComparison.Ordinal)).ToList();

    private async Task MediaObjectAsync(HttpContext context, string mediaId)
    {
        Record(context, []);
        if (!_media.TryGetValue(mediaId, out var media))
        {
            // What Graph answers for an id it does not know.
            await Refuse(context, 400, 100, subcode: 33);
            return;
        }

        if (media.Error is { } error)
        {
            await Refuse(context, error.Status, error.Code, subcode: null);
            return;
        }

        if (media.Hangs)
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
            return;
        }

        var host = media.OnForeignHost ? ForeignBaseUrl : BaseUrl;
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["url"] = new Uri(host, $"/whatsapp_business/attachments/{mediaId}?mid={mediaId}&ext=1700000000&hash=ATtsecret").AbsoluteUri,
            ["mime_type"] = media.MimeType ?? media.ContentType,
            ["sha256"] = media.Sha256 ?? Convert.ToHexStringLower(SHA256.HashData(media.Bytes)),
            ["file_size"] = media.FileSize ?? media.Bytes.Length,
            ["id"] = mediaId,
        });
    }

    private async Task DownloadAsync(HttpContext context, string mediaId)
    {
        Record(context, []);
        if (!_media.TryGetValue(mediaId, out var media))
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (media.RedirectsToForeignHost && context.Connection.LocalPort == BaseUrl.Port)
        {
            context.Response.Redirect(new Uri(ForeignBaseUrl, context.Request.Path + context.Request.QueryString).AbsoluteUri);
            return;
        }

        context.Response.ContentType = media.ContentType;
        await context.Response.Body.WriteAsync(media.Bytes);
    }

    private static Task Refuse(HttpContext context, int status, int code, int? subcode)
    {
        context.Response.StatusCode = status;
        var error = new JsonObject { ["message"] = $"(#{code}) Scripted error", ["type"] = "OAuthException", ["code"] = code, ["fbtrace_id"] = "AbCdEfGhIjKlMnOpQrStUvW" };
        if (subcode is { } sub)
        {
            error["error_subcode"] = sub;
        }

        return context.Response.WriteAsJsonAsync(new JsonObject { ["error"] = error });
    }

    private void Record(HttpContext context, JsonObject body)
    {
        lock (_requests)
        {
            _requests.Add(new GraphRequest(context.Request.Path, context.Request.Headers.Authorization.ToString(), context.Request.ContentType, body,
                context.Connection.LocalPort));
        }

        _received.Release();
    }

    /// <summary>The next send is refused with Meta's error object.</summary>
    public MetaGraphStandIn ThenError(int code, int httpStatus = 400, string type = "OAuthException")
    {
        _answers.Enqueue(context =>
        {
            context.Response.StatusCode = httpStatus;
            return context.Response.WriteAsJsonAsync(new JsonObject
            {
                ["error"] = new JsonObject
                {
                    ["message"] = $"(#{code}) Scripted error",
                    ["type"] = type,
                    ["code"] = code,
                    ["error_data"] = new JsonObject { ["messaging_product"] = "whatsapp", ["details"] = "Scripted by the test." },
                    ["fbtrace_id"] = "AbCdEfGhIjKlMnOpQrStUvW",
                },
            });
        });
        return this;
    }

    /// <summary>The next send's connection is dropped after the request arrived: its outcome is unknown.</summary>
    public MetaGraphStandIn ThenDropConnection()
    {
        _answers.Enqueue(context =>
        {
            context.Abort();
            return Task.CompletedTask;
        });
        return this;
    }

    /// <summary>Waits until <paramref name="count"/> requests in all have arrived.</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (Requests.Count < count)
        {
            await _received.WaitAsync(cancel.Token);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
        Record(context, body);
        if (_answers.TryDequeue(out var answer))
        {
            await answer(context);
            return;
        }

        var to = (string?)body["to"] ?? "";
        var id = "wamid.HBgL" + Interlocked.Increment(ref _sequence).ToString("D6", CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["contacts"] = new JsonArray(new JsonObject { ["input"] = to, ["wa_id"] = to.TrimStart('+') }),
            ["messages"] = new JsonArray(new JsonObject { ["id"] = id }),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _received.Dispose();
    }
}
