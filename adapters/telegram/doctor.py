"""`supportbot doctor` for Telegram: the token, and whether the staff group works.

Asks the Bot API with the adapter's own client (same server, same timeouts): getMe
(is the token accepted, is privacy mode off), getChat on the staff group (is the bot
in it, is it a forum) and getChatMember for the bot itself (is it an admin, may it
create topics). The bot must see every message agents write in the staff group: it
does as an admin, or with privacy mode turned off.
"""

from __future__ import annotations

from telegram import ChatFullInfo, ChatMember, ChatMemberAdministrator, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError

from adapters.registry import Finding, ok, problem, warning
from adapters.telegram.inbound import PLATFORM
from adapters.telegram.transport import DEFAULT_API, TelegramBot, build_bot
from bot.config import StaffSection, TelegramSection

LOGIN_FIX = (
    "copy the token again from @BotFather (/mybots > your bot > API Token) into the "
    "variable telegram.token names (TELEGRAM_BOT_TOKEN in the example)"
)
SEE_ALL_FIX = (
    "make the bot an admin of the staff group (group settings > Administrators > Add "
    "Admin), or turn its privacy mode off (@BotFather: /setprivacy > your bot > "
    "Disable, then remove the bot from the group and add it again)"
)


class TelegramCheckup:
    platform = PLATFORM

    def __init__(self, section: TelegramSection, staff: StaffSection) -> None:
        self._section = section
        self._staff = staff

    async def run(self) -> list[Finding]:
        token = self._section.token.get_secret_value() if self._section.token else ""
        if not token:
            return [problem(PLATFORM, "telegram.token is empty", LOGIN_FIX)]
        bot = build_bot(self._section, token)
        try:
            await bot.initialize()
            return await self._findings(bot)
        except InvalidToken:
            return [problem(PLATFORM, "Telegram rejected the token (telegram.token)", LOGIN_FIX)]
        except TelegramError as exc:
            return [self._unreachable(exc)]
        finally:
            await bot.shutdown()

    def start_failure(self, exc: BaseException) -> str | None:
        if isinstance(exc, InvalidToken):
            return f"Telegram rejected the token (telegram.token): {LOGIN_FIX}"
        return None

    async def _findings(self, bot: TelegramBot) -> list[Finding]:
        me = bot.bot
        found = [ok(PLATFORM, f"token accepted: the bot is @{me.username} (id {me.id})")]
        found += _agent_ids(self._staff)
        if self._staff.platform == PLATFORM:
            found += await self._staff_group(bot, me)
        if self._section.mode == "webhook" and not (self._section.webhook_url or "").startswith(
            "https://"
        ):
            found.append(
                problem(
                    PLATFORM,
                    f"telegram.webhook_url {self._section.webhook_url!r} is not an https URL",
                    "Telegram posts only to https (ports 443, 80, 88 or 8443): put the bot "
                    "behind a TLS proxy and give its public https URL (docs/deployment.md)",
                )
            )
        return found

    async def _staff_group(self, bot: TelegramBot, me: User) -> list[Finding]:
        chat_id = self._staff.chat_id
        try:
            chat = await bot.get_chat(chat_id)
        except (BadRequest, Forbidden) as exc:
            return [
                problem(
                    PLATFORM,
                    f"staff.chat_id {chat_id}: Telegram cannot open this chat ({exc.message})",
                    "add the bot to the staff group, then set staff.chat_id to the group's id "
                    "(a supergroup's id starts with -100; docs/telegram.md shows how to find it)",
                )
            ]
        if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
            return [
                problem(
                    PLATFORM,
                    f"staff.chat_id {chat_id} is a {chat.type} chat, not a group",
                    "create a group for the agents, add the bot, and use that group's id",
                )
            ]
        member = await bot.get_chat_member(chat_id, me.id)
        return [_sees_everything(chat, member, me), _threads(chat, member)]

    def _unreachable(self, exc: TelegramError) -> Finding:
        root = self._section.api_base_url or DEFAULT_API
        return problem(
            PLATFORM,
            f"cannot talk to the Bot API at {root} ({type(exc).__name__}: {exc.message})",
            "check the network (a proxy, a firewall) and telegram.api_base_url",
        )


def _sees_everything(chat: ChatFullInfo, member: ChatMember, me: User) -> Finding:
    title = f"staff group {chat.title!r}"
    if member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        return problem(
            PLATFORM, f"the bot is not a member of the {title}", "add the bot to the group again"
        )
    if member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER):
        return ok(PLATFORM, f"the bot is an admin of the {title}: it sees every message")
    if me.can_read_all_group_messages:
        return ok(PLATFORM, f"privacy mode is off: the bot sees every message in the {title}")
    return problem(
        PLATFORM,
        f"the bot sees only commands in the {title}: it is not an admin and its privacy "
        "mode is on, so agents' plain replies never reach customers",
        SEE_ALL_FIX,
    )


def _threads(chat: ChatFullInfo, member: ChatMember) -> Finding:
    if not chat.is_forum:
        return ok(
            PLATFORM,
            "the staff group is not a forum: each ticket is a reply chain under its card "
            "(turn Topics on in the group's settings for a topic per ticket)",
        )
    may_create = member.status == ChatMemberStatus.OWNER or (
        isinstance(member, ChatMemberAdministrator) and bool(member.can_manage_topics)
    )
    if may_create:
        return ok(PLATFORM, "the staff group is a forum: each ticket gets a topic of its own")
    return warning(
        PLATFORM,
        "the staff group is a forum but the bot may not create topics: tickets become reply chains",
        "give the bot the admin right Manage Topics",
    )


def _agent_ids(staff: StaffSection) -> list[Finding]:
    if staff.platform != PLATFORM:
        return []
    wrong = [agent for agent in staff.agents if not agent.lstrip("-").isdigit()]
    if not wrong:
        return []
    return [
        problem(
            PLATFORM,
            f"staff.agents: {', '.join(wrong)} are not Telegram user ids (numbers)",
            "write each agent's numeric user id (docs/telegram.md shows how to find it)",
        )
    ]
