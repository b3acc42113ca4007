using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace VoiceBotHost;

/// <summary>
/// The address this host listens on, for the parts that call the host over real HTTP: the offline demo model behind
/// SK's OpenAI connector, and the simulator's signed webhook requests. Known only once the server has started
/// (tests listen on port 0).
/// </summary>
public sealed class SelfAddress(IServer server)
{
    public Uri BaseUri
    {
        get
        {
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses
                ?? throw new InvalidOperationException("The server exposes no addresses.");
            var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
                ?? addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("The server has not started listening yet.");

            // A wildcard binding (http://+:5080, http://0.0.0.0:5080, http://[::]:5080) is reached on loopback.
            var builder = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
            if (builder.Host is "0.0.0.0" or "[::]" or "::" or "localhost")
            {
                builder.Host = "127.0.0.1";
            }

            return new Uri(builder.Uri.GetLeftPart(UriPartial.Authority) + "/");
        }
    }

    public Uri Combine(string path) => new(BaseUri, path.TrimStart('/'));
}
