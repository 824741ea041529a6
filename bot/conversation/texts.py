"""Resident-facing texts (Chinese, short, for a phone screen). Kept together so wording is consistent."""

WELCOME = (
    "您好，欢迎关注为民服务助手！我可以：\n"
    "1. 解答办事问题，比如“补办身份证要带什么”\n"
    "2. 为老人、残疾人预约代办或上门服务\n"
    "3. 帮您找工作人员（回复“人工”）\n"
    "直接打字或发语音问我就行。"
)
GREETING = "您好！请直接说您要办什么事，比如“办低保要什么材料”“社保卡丢了怎么补”。"
THANKS = "不客气！还有其他问题随时问我。"
# Thanks while waiting for staff: the desk adds that the resident is still in the queue.
WELCOME_WHILE_WAITING = "不客气！您的消息工作人员也会看到。"
NEVER_MIND = "好的。还有其他问题随时问我。"
VOICE_UNCLEAR = "抱歉，没听清您的语音。请再说一遍，或直接打字告诉我。"
UNSUPPORTED = "收到啦。我目前只看得懂文字和语音，请用文字说说您要办什么事。"
FILE_RECEIVED = "收到您的文件“{name}”。我打不开文件，请用文字说说您要办什么事；需要工作人员看这个文件，请回复“人工”。"
DONT_KNOW = (
    "抱歉，这个问题我还答不上来。\n"
    "我能解答身份证、社保、医保、低保等政务服务事项的办理问题，您可以换个说法再问；"
    "也可以回复“人工”找工作人员。"
)
# A question from a neighbouring domain (bot/conversation/neighbours.yaml): what we cannot do, where to turn, what we can.
NOT_OURS = (
    "抱歉，{label}方面的事我帮不上忙，{ask}\n"
    "我能解答身份证、社保、医保、低保等政务服务事项的办理问题，也能为老人、残疾人预约代办或上门服务。"
)
CHOOSE_ITEM = "您问的是下面哪一项？请回复数字："
CHOOSE_NONE = "都不是？请换个说法，或回复“人工”。"
ASK_WHICH_ITEM = "请问您问的是哪个事项？比如“身份证补领要带什么材料”。"
LOCATION_UNCLEAR = "这个位置我没看懂，请重新发送一次位置。"
NUMBER_STALE = "这个数字我没对上号。请直接说您要办的事，比如“办社保卡”。"
ERROR = "抱歉，系统开小差了，请稍后再试，或回复“人工”找工作人员。"

OFFER_HUMAN = (
    "抱歉，我还是没能帮上您。要不要请工作人员来回答？\n回复 1 或“转人工”，工作人员会在这里回复您；也可以换个说法再问我。"
)
# Replies that mean the bot could not answer; two in a row lead to OFFER_HUMAN.
FAILED_ANSWERS = frozenset({DONT_KNOW, ASK_WHICH_ITEM})

HUMAN_QUEUED = (
    "已为您转接人工客服，请稍候，工作人员会在这里回复您。\n"
    "人工服务时间：周一至周五 9:00-17:30；急事请拨 96128（昭通市政务信息专线）。"
)
HUMAN_ALREADY = "您已在人工排队中，工作人员会尽快回复您，请稍候。"

MENU_GUIDE = "请直接说您要办的事，比如：\n· 身份证丢了怎么补\n· 办低保要什么材料\n· 社保卡在哪里办"

TOO_FAST = "您发消息太快啦，请歇一会儿，1分钟后再发。急事请回复“人工”或拨打 96128。"
FORM_LEFT = "（刚才的预约还没有提交，回复“继续预约”可以接着填。）"
FORM_LOST = (
    "抱歉，刚才填写的预约信息没有保存下来，需要重新填写。\n请回复“预约代办”或“预约上门”从头开始，已经提交成功的预约不受影响。"
)
