#!/bin/bash
# Generate real out-of-office replies: Dovecot's LDA with the Pigeonhole
# Sieve "vacation" extension delivers one newsletter to a mailbox whose
# script answers in a given language, and hands its reply to a capture
# script (sendmail_path). Each reply is copied into ../gen-vacation-LANG.eml.
# Run as root; needs dovecot-core and dovecot-sieve. Not run by CI.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/..}
D=$(mktemp -d /tmp/corpus-vacation.XXXXXX)
chmod 755 "$D"
mkdir -p "$D/home" "$D/run" "$D/replies"
cat > "$D/capture.sh" <<SH
#!/bin/sh
cat > "$D/replies/reply.\$\$.eml"
SH
chmod 755 "$D/capture.sh"
chown -R nobody:nogroup "$D/home" "$D/run" "$D/replies"
# one line a language: CODE|SUBJECT|BODY
LANGS='fr|Absent du bureau|Bonjour, je suis absente jusqu'"'"'au 15 juillet et je lirai votre message à mon retour. Pour toute urgence, écrivez à secretariat@example.net.
de|Abwesenheitsnotiz|Guten Tag, ich bin bis zum 15. Juli nicht im Büro. Ihre Nachricht wird nicht weitergeleitet. In dringenden Fällen wenden Sie sich bitte an sekretariat@example.net.
es|Respuesta automática: fuera de la oficina|Hola, estoy de vacaciones hasta el 15 de julio. Responderé a su mensaje a mi regreso.
it|Risposta automatica: fuori sede|Buongiorno, sono fuori sede fino al 15 luglio con accesso limitato alla posta.
nl|Afwezigheidsbericht|Goedendag, ik ben afwezig tot 15 juli en lees uw bericht na mijn terugkeer.
pt|Resposta automática: ausente|Olá, estou ausente até 15 de julho. Responderei assim que possível.
pl|Automatyczna odpowiedź|Dzień dobry, jestem na urlopie do 15 lipca. Odpowiem po powrocie.
ru|Автоответ: в отпуске|Здравствуйте! Я в отпуске до 15 июля и отвечу на ваше письмо после возвращения.
ja|自動応答: 不在のお知らせ|7月15日まで不在にしております。戻り次第ご連絡いたします。
en|Out of office|Hello, I am out of the office until July 15th with limited access to e-mail.
zh|自动回复：休假中|您好，我正在休假，7月15日返回，届时会回复您的邮件。
sv|Frånvaromeddelande|Hej! Jag är på semester till den 15 juli och läser inte min e-post.
ar|رد تلقائي: خارج المكتب|مرحبا، أنا في إجازة حتى 15 يوليو وسأرد على رسالتك عند عودتي.
el|Αυτόματη απάντηση: εκτός γραφείου|Καλημέρα, είμαι εκτός γραφείου έως τις 15 Ιουλίου.
fr-unsub|Réponse automatique : absence|Je suis en congé jusqu'"'"'au 15 juillet. Ce message part automatiquement : pour vous désinscrire de ma liste de diffusion, répondez plus tard avec le mot STOP.'
while IFS='|' read -r code subject body; do
	cat > "$D/home/$code.sieve" <<SIEVE
require ["vacation"];
vacation :days 1 :subject "$subject" :addresses ["camille.$code@example.net"] "$body";
SIEVE
	cat > "$D/dovecot-$code.conf" <<CF
base_dir = $D/run
mail_location = maildir:$D/home/Maildir-$code
postmaster_address = postmaster@example.net
sendmail_path = $D/capture.sh
log_path = $D/run/dovecot.log
ssl = no
protocol lda {
  mail_plugins = sieve
}
plugin {
  sieve = file:$D/home/sieve-$code;active=$D/home/$code.sieve
  sieve_vacation_dont_check_recipient = yes
}
CF
	chown nobody:nogroup "$D/home/$code.sieve"
	rm -f "$D"/replies/*
	{
		printf 'From: Infolettre <newsletter@lists.example.net>\nTo: camille.%s@example.net\n' "$code"
		printf 'Subject: Infolettre du SSP Hub - juin 2026\nDate: %s\n' "$(date -R)"
		printf 'Message-ID: <vacation-%s.issue-2026-06@lists.example.net>\n' "$code"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nBonjour,\n\nVoici les nouvelles du mois.\n'
	} | runuser -u nobody -- env HOME="$D/home" USER=nobody /usr/lib/dovecot/dovecot-lda \
		-c "$D/dovecot-$code.conf" -f "bounces+vacation-$code@lists.example.net" \
		-a "camille.$code@example.net" || echo "lda $code failed" >&2
	for r in "$D"/replies/*; do [ -f "$r" ] && cp "$r" "$OUT/gen-vacation-$code.eml"; done
done <<< "$LANGS"
cat "$D/run/dovecot.log" >&2 2>/dev/null || true
ls "$OUT"/gen-vacation-*.eml 2>/dev/null | wc -l >&2
