#!/usr/bin/perl
# DocFX-compat shim applied to each markdown file before Hugo sees it.
# Usage: docfx-compat.pl STRIP_H1(auto|0|1) < list   (list lines: LOCALE<TAB>in.md<TAB>out.md)
# - :::image type="content" source="S" alt-text="A"[ lightbox/border]:::  -> <img src="S" alt="A">
# - :::no-loc text="X":::                                                 -> X
# - > [!NOTE] / [!TIP] / [!IMPORTANT] / [!CAUTION] / [!WARNING] blockquotes (any case, as DocFX reads them)
#     -> <div class="alert note"><p class="alert-title">Note</p> ...markdown... </div>
#   (what DocFX / learn.microsoft.com emits, with the title localized)
# - headings with <a name="x"> get the explicit id {#x}
# - drops the body's first "# " heading where the template's <h1>{{.Title}}</h1> already says it:
#   always (1), never (0), or when its text is the title's (auto: a DocFX article's H1 often says
#   more than its title metadata, and then it stays, as a heading of the page)
use strict; use warnings; use utf8;
my ($strip_h1) = @ARGV; $strip_h1 //= 'auto';
# Text of a title or heading, for comparison: no English original (a bilingual
# file's sxs-lookup span), tags, quotes, case or extra spaces.
sub plain { my ($t) = @_; $t =~ s{<span class="sxs-lookup">.*?</span>\s*</span>}{}g; $t =~ s/<[^>]*>//g; $t =~ s/^\s*["']|["']\s*$//g; $t =~ s/\s+/ /g;
  $t =~ s/^\s+|\s+$//g; return lc $t; }
my %T = (
 'en-us'=>[qw(Note Tip Important Caution Warning)],
 'de-de'=>[qw(Hinweis Tipp Wichtig Achtung Warnung)],
 'es-es'=>[qw(Nota Sugerencia Importante Precaución Advertencia)],
 'fr-fr'=>[qw(Remarque Conseil Important Attention Avertissement)],
 'ja-jp'=>[qw(メモ ヒント 重要 注意 警告)],
 'ko-kr'=>[qw(참고 팁 중요 주의 경고)],
 'ru-ru'=>[qw(Примечание Совет Важно Внимание Предупреждение)],
 'zh-cn'=>[qw(备注 提示 重要 注意 警告)],
);
my %idx = (NOTE=>0, TIP=>1, IMPORTANT=>2, CAUTION=>3, WARNING=>4);
sub attr { my ($a, $k) = @_; return $a =~ /\b\Q$k\E="([^"]*)"/ ? $1 : ''; }
while (my $job = <STDIN>) {
  chomp $job; my ($loc, $in, $outf) = split /\t/, $job;
  open my $ih, '<:encoding(UTF-8)', $in or die "$in: $!";
  my $src = do { local $/; <$ih> }; close $ih;
  open my $oh, '>:encoding(UTF-8)', $outf or die "$outf: $!";
  print $oh convert($src, $T{lc $loc} // $T{'en-us'}); close $oh;
}
sub convert { my ($src, $names) = @_;
my ($fm, $body) = ('', $src);
if ($src =~ /\A(---\n.*?\n---\n)(.*)\z/s) { ($fm, $body) = ($1, $2); }
my @out; my $in_alert = 0; my $ind = ''; my $seen_content = 0;
my ($title) = $fm =~ /^title:\s*(.*?)\s*$/m; $title = plain($title // '');
for my $line (split /\n/, $body, -1) {
  if ($in_alert) {
    if ($line =~ /^\Q$ind\E\s{0,3}>\s?(.*)$/) { push @out, "$ind$1"; next; }
    push @out, '', "$ind</div>", ''; $in_alert = 0;
  }
  if (!$seen_content && $line =~ /^#\s+(.*)$/) {
    my $h1 = plain($1);
    $seen_content = 1;
    next if $strip_h1 eq '1' || ($strip_h1 eq 'auto' && $h1 eq $title);
  }
  $seen_content = 1 if $line =~ /\S/;
  if ($line =~ /^(\s*)>\s*\[!(NOTE|TIP|IMPORTANT|CAUTION|WARNING)\]\s*$/i) {
    $ind = $1; my $k = uc $2;
    push @out, "$ind<div class=\"alert " . lc($k) . "\" data-alert=\"$k\">",
               "$ind<p class=\"alert-title\">$names->[$idx{$k}]</p>", '';
    $in_alert = 1; next;
  }
  # "## <a name="x"></a>text" -> "## <a name="x"></a>text {#x}": Hugo 0.111 derives auto ids from the raw
  # heading source (tags included), giving ids like "a-namexaspan-data-ttu-id..."; DocFX uses the anchor name.
  $line =~ s{^(\s{0,3}#{1,6}\s+<a name="([^"]+)"></a>.*?)\s*$}{$1 {#$2}};
  $line =~ s{:::image\s+(.*?):::}{'<img src="'.attr($1,'source').'" alt="'.attr($1,'alt-text').'">'}ge;
  $line =~ s{:::image-end:::}{}g;
  $line =~ s{:::no-loc\s+text="([^"]*)":::}{$1}g;
  push @out, $line;
}
push @out, '', "$ind</div>", '' if $in_alert;
return $fm . join("\n", @out);
}
