namespace VoiceBotHost;

/// <summary>
/// The fake Twilio credentials of appsettings.Development.json. They are public, so anything signed with them proves
/// nothing: while they are in use the host runs offline (loopback texts, call simulator) and refuses to start outside
/// the Development environment.
/// </summary>
public static class DevelopmentCredentials
{
    public const string AccountSid = "AC00000000000000000000000000000000";

    public const string AuthToken = "dev-only-fake-auth-token-not-a-twilio-secret";

    public static bool IsDevelopmentToken(string? authToken) => string.Equals(authToken, AuthToken, StringComparison.Ordinal);
}
