using InCallMessaging.Twilio.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace InCallMessaging.AspNetCore.Internal;

/// <summary>
/// Serves <see cref="HttpRequest.Form"/> from a body that is already decoded (not pooled: it lives as long as the
/// request); the collection is built on first use.
/// </summary>
internal sealed class FormBodyFeature(FormBody body) : IFormFeature
{
    private IFormCollection? _form;

    public bool HasFormContentType => true;

    public IFormCollection? Form
    {
        get => _form ??= Build(body);
        set => _form = value;
    }

    public IFormCollection ReadForm() => Form!;

    public Task<IFormCollection> ReadFormAsync(CancellationToken cancellationToken) => Task.FromResult(ReadForm());

    private static FormCollection Build(FormBody body)
    {
        var fields = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in body.Pairs())
        {
            fields[name] = fields.TryGetValue(name, out var existing) ? StringValues.Concat(existing, value) : new StringValues(value);
        }

        return new FormCollection(fields);
    }
}
