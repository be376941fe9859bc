//! Development aid: grid-searches scorer weights and thresholds on a labelled
//! set and prints the best settings with at most 2% wrong answers.
use policybot::eval::read_labelled;
use policybot::knowledge::{import, load_dir};
use policybot::matcher::{Matcher, Tuning};
use std::path::Path;
fn main() {
    let kb = load_dir(Path::new("knowledge")).unwrap();
    let q: Vec<String> = import::parse(&std::fs::read_to_string("tests/data/mississippi-ice-faq.txt").unwrap())
        .unwrap()
        .into_iter()
        .map(|e| e.question)
        .collect();
    let l = read_labelled(&std::fs::read_to_string("tests/data/dev.tsv").unwrap(), &q, &kb).unwrap();
    let mut best = Vec::new();
    for ans in [0.1, 0.2, 0.3] {
        for share in [0.7, 0.8, 0.9] {
            for unk in [0.7, 1.0] {
                for com in [0.35, 0.5] {
                    for cl in [0.5, 0.7] {
                        for ps in [0.0, 0.5, 0.7, 0.9] {
                            let tuning = Tuning {
                                answer_strength: ans,
                                message_share: share,
                                unknown_factor: unk,
                                common_factor: com,
                                claim_strength: cl,
                                passage_strength: ps,
                                ..Tuning::default()
                            };
                            let m = Matcher::build_with(&kb.entries, &kb.synonyms, tuning);
                            let rows: Vec<(bool, bool, f64, f64, f64)> = l
                                .iter()
                                .map(|c| {
                                    let (s, ev) = m.score(&c.message);
                                    let top = s.first().map(|x| kb.entries[x.entry].id.clone());
                                    let s1 = s.first().map_or(0.0, |x| x.score);
                                    let s2 = s.get(1).map_or(0.0, |x| x.score);
                                    (c.expected.is_none(), top == c.expected, s1, s1 - s2, ev)
                                })
                                .collect();
                            let top1 = rows.iter().filter(|r| !r.0 && r.1).count();
                            for ev in [0.5] {
                                for a in (20..70).step_by(2) {
                                    for mg in (0..24).step_by(2) {
                                        for ratio in [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.7] {
                                            let (a, mg) = (a as f64 / 100.0, mg as f64 / 100.0);
                                            let mut right = 0;
                                            let mut wrong = 0;
                                            for r in &rows {
                                                let answered =
                                                    r.2 >= a && r.3 >= mg && r.4 >= ev && r.2 >= ratio * (r.2 - r.3);
                                                if r.0 {
                                                    if answered { wrong += 1 } else { right += 1 }
                                                } else if answered {
                                                    if r.1 { right += 1 } else { wrong += 1 }
                                                }
                                            }
                                            let n = rows.len() as f64;
                                            if wrong as f64 / n <= 0.021 {
                                                best.push((
                                                    right as f64 / n,
                                                    wrong as f64 / n,
                                                    top1,
                                                    ans,
                                                    share,
                                                    unk,
                                                    com,
                                                    cl,
                                                    ps,
                                                    a,
                                                    mg,
                                                    ratio,
                                                ));
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    best.sort_by(|a, b| b.0.total_cmp(&a.0));
    for b in best.iter().take(8) {
        println!("{:?}", b);
    }
    for b in best.iter().filter(|b| b.10 >= 0.05).take(5) {
        println!("margin {:?}", b);
    }
}
