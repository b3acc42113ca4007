using System.Globalization;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Benchmarks;

/// <summary>
/// The plugin configuration every benchmark uses: one SMS sender on the in-process loopback provider, a send action
/// with a Scriban body (a call-metadata placeholder and a parameter) and a waiting action.
/// </summary>
/// <remarks>
/// The per-call cap and the duplicate window are switched off (<see cref="InCallMessagingOptions.MaxMessagesPerCall"/> =
/// <see cref="int.MaxValue"/>, <see cref="InCallMessagingOptions.DuplicateSuppressionWindow"/> = zero) so one session
/// can send the same text repeatedly; everything else is at its default.
/// </remarks>
internal static class Fixture
{
    public const string SenderName = "sms";
    public const string SenderNumber = "+15005550006";
    public const string SendAction = "send_code";
    public const string WaitAction = "confirm_by_text";
    public const string AuthToken = "0123456789abcdef0123456789abcdef";
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string OtpCode = "482913";

    public static void Configure(InCallMessagingOptions options)
    {
        options.MetadataKeys.Add("user_name");
        options.MaxMessagesPerCall = int.MaxValue;
        options.DuplicateSuppressionWindow = TimeSpan.Zero;
        options.Senders[SenderName] = new MessageSenderOptions { Provider = "Loopback", From = SenderNumber };
        options.Actions.Add(new InCallMessageAction
        {
            Name = SendAction,
            Description = "Texts the caller the one-time code they need to finish signing in.",
            Sender = SenderName,
            Body = "Hi <user_name>, your code is {{ otp_code }}. It expires in 10 minutes.",
            Parameters = new ActionParameters
            {
                Properties = { ["otp_code"] = new ActionParameter { Description = "The 6-digit one-time code.", Pattern = "^[0-9]{6}$" } },
                Required = { "otp_code" },
            },
        });
        options.Actions.Add(new InCallMessageAction
        {
            Name = WaitAction,
            Description = "Asks the caller to confirm the booking by text and waits for the answer.",
            Sender = SenderName,
            Body = "Hi <user_name>, reply YES to confirm your booking.",
            WaitForReply = true,
            ReplyTimeout = TimeSpan.FromMinutes(10),
        });
    }

    public static InCallMessagingRuntime CreateRuntime(ILoggerFactory? loggerFactory = null)
    {
        var options = new InCallMessagingOptions();
        Configure(options);
        return InCallMessagingRuntime.Create(options, loggerFactory: loggerFactory ?? NullLoggerFactory.Instance);
    }

    /// <summary>A kernel with the plugin, as a host builds one (the per-call clone comes from <c>WithCallSession</c>).</summary>
    public static Kernel CreateKernel(InCallMessagingRuntime runtime)
    {
        var kernel = new Kernel();
        kernel.Plugins.Add(runtime.Plugin);
        return kernel;
    }

    public static Dictionary<string, string> Metadata(int index) => new(StringComparer.Ordinal) { ["user_name"] = "Ada" + index.ToString(CultureInfo.InvariantCulture) };

    /// <summary>The i-th caller: a distinct, valid North American number (+1 212 NXX XXXX), up to 8 million of them.</summary>
    public static string Caller(int index)
    {
        if (index is < 0 or >= 8_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }

        var exchange = 200 + (index / 10_000);
        var line = index % 10_000;
        return string.Create(CultureInfo.InvariantCulture, $"+1212{exchange:000}{line:0000}");
    }

    public static string CallId(int index) => "CA" + index.ToString("x32", CultureInfo.InvariantCulture);
}

/// <summary>Lets the garbage of a set-up be collected before the measured iteration starts.</summary>
internal static class Gc
{
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
