using System.Text.RegularExpressions;

namespace InCallMessaging.SemanticKernel.Tests.Core.Documentation;

/// <summary>
/// Issue 12, point 1: the core is provider-neutral. Its code (comments aside) holds no Twilio rule: no SID prefixes,
/// no check that compares a provider's name; the providers own their rules.
/// </summary>
public sealed partial class ProviderNeutralCoreTests
{
    private static readonly string CoreSource = Path.Combine(RepositoryRoot(), "src", "InCallMessaging.SemanticKernel");

    /// <summary>Each source line of the core that is code: comment lines and trailing comments removed.</summary>
    private static IEnumerable<(string File, int Line, string Code)> CodeLines()
    {
        foreach (var file in Directory.EnumerateFiles(CoreSource, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(CoreSource, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal))
            {
                continue;
            }

            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var code = lines[i].TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal))
                {
                    continue;
                }

                yield return (relative, i + 1, code);
            }
        }
    }

    [Fact]
    public void The_scan_sees_the_core_sources()
    {
        Assert.Contains(CodeLines(), l => l.File == "Actions/SenderDirectory.cs");
        Assert.Contains(CodeLines(), l => l.File == "Sending/HttpMessageProvider.cs" && l.Code.Contains("\"Http\"", StringComparison.Ordinal));
    }

    [Fact]
    public void No_twilio_sid_rule_lives_in_the_core()
    {
        var offending = CodeLines().Where(l => SidRule().IsMatch(l.Code)).Select(l => $"{l.File}:{l.Line}: {l.Code}").ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void No_provider_name_is_compared_outside_its_provider()
    {
        // A provider's name is spelled once, by the provider; the core never branches on it.
        var offending = CodeLines()
            .Where(l => ProviderNameLiteral().IsMatch(l.Code) && l.File is not ("Sending/HttpMessageProvider.cs" or "Sending/LoopbackMessageProvider.cs"))
            .Where(l => !l.Code.Contains("= \"Loopback\";", StringComparison.Ordinal)) // MessageSenderOptions.Provider's default
            .Select(l => $"{l.File}:{l.Line}: {l.Code}")
            .ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void Twilio_appears_in_core_code_only_where_an_error_points_to_its_package()
    {
        var offending = CodeLines()
            .Where(l => l.Code.Contains("Twilio", StringComparison.Ordinal) && !l.Code.Contains("AddInCallMessagingTwilio", StringComparison.Ordinal))
            .Select(l => $"{l.File}:{l.Line}: {l.Code}")
            .ToList();

        Assert.Empty(offending);
    }

    [Theory]
    [InlineData("MessagingServiceSid")]
    [InlineData("ContentSid")]
    [InlineData("content_sid")]
    public void No_twilio_field_name_is_part_of_the_core(string twilioWord)
    {
        var offending = CodeLines()
            .Where(l => l.Code.Contains(twilioWord, StringComparison.Ordinal))
            .Select(l => $"{l.File}:{l.Line}: {l.Code}")
            .ToList();
        var publicApi = File.ReadAllText(Path.Combine(CoreSource, "PublicAPI.Unshipped.txt"));

        Assert.Empty(offending);
        Assert.DoesNotContain(twilioWord, publicApi, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sender_holds_no_provider_specific_field()
    {
        // The shared fields sit on the sender; the Http provider's own settings sit in their own object.
        var shared = typeof(MessageSenderOptions).GetProperties().Select(p => p.Name).Order().ToArray();

        Assert.Equal(["From", "Http", "Provider", "ServiceId"], shared);
        Assert.Equal(["Headers", "Timeout", "Url"], typeof(HttpSenderOptions).GetProperties().Select(p => p.Name).Order().ToArray());
    }

    [Fact]
    public void The_whatsapp_prefix_and_the_channel_names_are_each_written_once_across_the_packages()
    {
        var source = Path.Combine(RepositoryRoot(), "src");
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file).Replace('\\', '/');
            if (relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file).Select(l => l.TrimStart()))
            {
                if (!line.StartsWith("//", StringComparison.Ordinal))
                {
                    found.AddRange(OnceOnly().Matches(line).Select(m => $"{relative}: {m.Value}"));
                }
            }
        }

        Assert.Equal(
            [
                "InCallMessaging.SemanticKernel/Actions/ChannelNames.cs: \"sms\"",
                "InCallMessaging.SemanticKernel/Actions/ChannelNames.cs: \"sms\"u8",
                "InCallMessaging.SemanticKernel/Actions/ChannelNames.cs: \"whatsapp\"",
                "InCallMessaging.SemanticKernel/Actions/ChannelNames.cs: \"whatsapp\"u8",
                "InCallMessaging.SemanticKernel/Calls/ChannelAddress.cs: \"whatsapp:\"",
            ],
            found.Order(StringComparer.Ordinal));
    }

    // A channel name or the WhatsApp prefix, as a literal.
    [GeneratedRegex("\"(sms|whatsapp:?)\"(u8)?")]
    private static partial Regex OnceOnly();

    // "MG"/"HX"/"AC"/"SK" as prefixes, or a pattern such as ^MG[0-9a-fA-F]{32}$.
    [GeneratedRegex("\"(MG|HX|AC|SK)\"|(MG|HX|AC|SK)\\[0-9a-fA-F\\]")]
    private static partial Regex SidRule();

    [GeneratedRegex("\"(Http|Twilio|Loopback)\"", RegexOptions.IgnoreCase)]
    private static partial Regex ProviderNameLiteral();

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "InCallMessaging.SemanticKernel.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }
}
